import type { Command } from 'commander';
import { addUser, removeUser, setUserDisabled, setUserSecret } from '../../services/accounts.js';
import {
  cliActor,
  loadCliConfig,
  print,
  readSecret,
  table,
  withStore,
  withStoreAsync,
  type CommonOptions,
} from '../io.js';

export function registerUser(program: Command): void {
  const user = program.command('user').description('Admin (password) and teacher (PIN) accounts.');
  const common = (c: Command): Command =>
    c
      .option('-c, --config <file>', 'configuration file')
      .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
      .option('--json', 'print as JSON');

  common(
    user
      .command('add <username>')
      .description('Add an account; the password or PIN is read from a hidden prompt or standard input.'),
  )
    .requiredOption('--role <role>', 'admin or teacher')
    .option('--display-name <name>', 'name shown on the panel, e.g. 王老师')
    .action(async (username: string, opts: CommonOptions & { role: string; displayName?: string }) => {
      const config = loadCliConfig(opts);
      const secret = await readSecret(opts.role === 'teacher' ? 'PIN: ' : 'Password: ');
      const u = await withStoreAsync(config, (s) =>
        addUser(
          s,
          config,
          {
            username,
            role: opts.role,
            secret,
            ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}),
          },
          cliActor(),
        ),
      );
      print(opts, u, () => `added ${u.role} ${u.username} (${u.displayName})`);
    });

  common(
    user
      .command('passwd <username>')
      .description("Set a user's password or PIN (read like 'add'); unlocks the account."),
  ).action(async (username: string, opts: CommonOptions) => {
    const config = loadCliConfig(opts);
    const secret = await readSecret('New password or PIN: ');
    await withStoreAsync(config, (s) => setUserSecret(s, config, username, secret, cliActor()));
    print(opts, { updated: username }, () => `updated ${username}`);
  });

  for (const [name, disabled, what] of [
    [
      'disable',
      true,
      'Disable an account: its sessions end at once and it cannot log in. The last enabled admin stays.',
    ],
    ['enable', false, 'Enable a disabled account; also lifts a lock after failed logins.'],
  ] as const) {
    common(user.command(`${name} <username>`).description(what)).action((username: string, opts: CommonOptions) => {
      const u = withStore(loadCliConfig(opts), (s) => setUserDisabled(s, username, disabled, cliActor()));
      print(opts, u, () => `${name}d ${u.role} ${u.username}`);
    });
  }

  common(
    user
      .command('remove <username>')
      .description(
        'Delete an account and its sessions (the audit log keeps its actions). The last enabled admin stays.',
      ),
  ).action((username: string, opts: CommonOptions) => {
    const u = withStore(loadCliConfig(opts), (s) => removeUser(s, username, cliActor()));
    print(opts, { removed: u.username }, () => `removed ${u.role} ${u.username}`);
  });

  common(user.command('list').description('List accounts.')).action((opts: CommonOptions) => {
    const users = withStore(loadCliConfig(opts), (s) => s.users.list());
    print(opts, users, () =>
      table(
        users.map((u) => ({ ...u, locked: u.lockedUntil !== null && u.lockedUntil > Date.now() ? 'yes' : 'no' })),
        ['username', 'displayName', 'role', 'disabled', 'locked'],
      ),
    );
  });
}
