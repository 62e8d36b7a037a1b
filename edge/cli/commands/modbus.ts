import type { Command } from 'commander';
import type { PortOptions } from './modbus-actions.js';

type ScanOptions = PortOptions & { bauds: string; from: string; to: string };
type SetAddressOptions = PortOptions & { profile: string; from: string; to: string; baud: string };
type ReadOptions = PortOptions & { profile: string; address: string; baud: string };

// The serial and Modbus code loads only when a modbus command runs, not on every classedge start.
export function registerModbus(program: Command): void {
  const modbus = program
    .command('modbus')
    .description(
      'Commission RS-485 Modbus sensors: find them, re-address them, read them. Stop the appliance first if it holds the port.',
    );
  const common = (c: Command): Command =>
    c
      .requiredOption('--port <path>', 'serial device, e.g. /dev/ttyUSB0')
      .option('--parity <parity>', 'none, even or odd', 'none')
      .option('--timeout <ms>', 'reply timeout per request', '150')
      .option('--frames', 'print every raw frame (hex) to standard error')
      .option('--json', 'print as JSON');

  common(
    modbus.command('scan').description('Find slaves: try every address at every baud rate and list those that answer.'),
  )
    .option('--bauds <list>', 'baud rates to try', '9600,4800,2400,19200')
    .option('--from <address>', 'first address', '1')
    .option('--to <address>', 'last address', '32')
    .action(async (o: ScanOptions) => (await import('./modbus-actions.js')).scan(o));

  common(
    modbus
      .command('set-address')
      .description("Re-address a sensor through its profile's address register, then check it answers at the new one."),
  )
    .requiredOption('--profile <id>', 'sensor model (firmware-bridge/profiles/modbus)')
    .requiredOption('--from <address>', 'current address')
    .requiredOption('--to <address>', 'new address')
    .option('--baud <rate>', 'baud rate', '9600')
    .action(async (o: SetAddressOptions) => (await import('./modbus-actions.js')).setAddress(o));

  common(
    modbus
      .command('read')
      .description('Read one sensor once and show its decoded values (with --frames, the bytes too).'),
  )
    .requiredOption('--profile <id>', 'sensor model')
    .requiredOption('--address <address>', 'slave address')
    .option('--baud <rate>', 'baud rate', '9600')
    .action(async (o: ReadOptions) => (await import('./modbus-actions.js')).read(o));
}
