import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { hashSecret } from '../../../edge/security/secrets.js';
import { DistrictReceiver } from '../district.js';
import { CONSOLE_ROLES, ConsoleStore, type ConsoleRole } from '../console-store.js';

/** Passwords shorter than this are refused: the console faces the district's network. */
const MIN_PASSWORD = 10;

/** The first line of standard input (a password piped in, or typed at the prompt). */
async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0] ?? '';
}

/**
 * `classedge-district user add|list`: the district console's accounts. The password comes from a
 * file (`--password-file`) or standard input, never the command line (every local user sees it in
 * `ps`).
 */
export function registerUserCommand(program: Command, db: (c: Command) => Command): void {
  const user = program.command('user').description("The district console's accounts.");
  db(
    user
      .command('add')
      .description(
        'Add an account, or replace its role, school and password (its sessions end). The password is read from --password-file or standard input.',
      ),
  )
    .requiredOption('--username <name>', 'the login name')
    .requiredOption('--role <role>', `one of ${CONSOLE_ROLES.join(', ')}`)
    .option('--school <name>', 'the school a school-it or health account sees (required for school-it)', '')
    .option('--password-file <file>', 'a file holding the password (its first line)')
    .action(async (o: { database: string; username: string; role: string; school: string; passwordFile?: string }) => {
      if (!(CONSOLE_ROLES as readonly string[]).includes(o.role))
        throw new Error(`--role: expected one of ${CONSOLE_ROLES.join(', ')}, got '${o.role}'`);
      if (!/^[\p{L}\p{N}._-]{1,100}$/u.test(o.username))
        throw new Error(`--username: expected 1-100 letters, digits, '.', '_' or '-', got '${o.username}'`);
      if (o.role === 'school-it' && !o.school) throw new Error('--school: a school-it account needs its school');
      const password = o.passwordFile
        ? (readFileSync(o.passwordFile, 'utf8').split('\n')[0] ?? '')
        : await readStdinLine();
      if ([...password].length < MIN_PASSWORD)
        throw new Error(`password: expected at least ${MIN_PASSWORD} characters, got ${[...password].length}`);
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      try {
        await new ConsoleStore(r.pool).putUser(
          { username: o.username, role: o.role as ConsoleRole, school: o.school },
          await hashSecret(password),
        );
      } finally {
        await r.close();
      }
      process.stdout.write(`account ${o.username} (${o.role}${o.school ? `, ${o.school}` : ''}) saved\n`);
    });
  db(user.command('list').description('Every account with its role and school.')).action(
    async (o: { database: string }) => {
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      try {
        for (const u of await new ConsoleStore(r.pool).users())
          process.stdout.write(`${u.username}\t${u.role}\t${u.school || '(every school)'}\n`);
      } finally {
        await r.close();
      }
    },
  );
}
