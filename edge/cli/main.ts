import { Command } from 'commander';
import { VERSION } from '../version.js';
import { ClassEdgeError } from '../errors.js';
import { registerStart } from './commands/start.js';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDevice } from './commands/device.js';
import { registerUser } from './commands/user.js';
import { registerModbus } from './commands/modbus.js';
import { registerRoster } from './commands/roster.js';
import { registerSync } from './commands/sync.js';
import { registerProvision } from './commands/provision.js';
import { registerUdev } from './commands/udev.js';
import { registerBackup } from './commands/backup.js';
import { registerUpdate } from './commands/update.js';
import { registerTls } from './commands/tls.js';
import { registerRetention } from './commands/retention.js';
import { registerStudent } from './commands/student.js';

export function buildProgram(): Command {
  const program = new Command('classedge')
    .description('ClassEdge classroom appliance: run it, check it, and manage its devices and accounts.')
    .version(VERSION)
    .showHelpAfterError();
  registerStart(program);
  registerConfig(program);
  registerDoctor(program);
  registerDevice(program);
  registerUser(program);
  registerModbus(program);
  registerRoster(program);
  registerSync(program);
  registerProvision(program);
  registerUdev(program);
  registerBackup(program);
  registerUpdate(program);
  registerTls(program);
  registerRetention(program);
  registerStudent(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof ClassEdgeError) {
      process.stderr.write(`classedge: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
