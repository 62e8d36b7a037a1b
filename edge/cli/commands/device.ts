import type { Command } from 'commander';
import { addDevice, removeDevice, rotateDeviceSecret, type IssuedCredentials } from '../../services/devices.js';
import { DEVICE_KINDS } from '../../store/repos/devices.js';
import { cliActor, loadCliConfig, print, table, withStore, withStoreAsync, type CommonOptions } from '../io.js';

const showCreds = (c: IssuedCredentials): string =>
  `Device ${c.device.id} (${c.device.kind})\n` +
  `  MQTT username: ${c.mqtt.username}\n  MQTT password: ${c.mqtt.password}\n  Topic prefix:  ${c.mqtt.topicPrefix}\n` +
  `The password is shown only now; only a slow hash is stored. Run 'classedge device rotate ${c.device.id}' to issue a new one.`;

export function registerDevice(program: Command): void {
  const device = program.command('device').description('Register classroom devices and their MQTT credentials.');
  const common = (c: Command): Command =>
    c
      .option('-c, --config <file>', 'configuration file')
      .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
      .option('--json', 'print as JSON');

  common(device.command('add <id>').description('Register a device and print its MQTT password (once).'))
    .requiredOption('--kind <kind>', `one of ${DEVICE_KINDS.join(', ')}`)
    .option('--description <text>', 'where it is, what it is')
    .action(async (id: string, opts: CommonOptions & { kind: string; description?: string }) => {
      const config = loadCliConfig(opts);
      const creds = await withStoreAsync(config, (s) =>
        addDevice(s, { id, kind: opts.kind, description: opts.description ?? '' }, cliActor()),
      );
      print(opts, creds, () => showCreds(creds));
    });

  common(device.command('list').description('List registered devices.')).action((opts: CommonOptions) => {
    const devices = withStore(loadCliConfig(opts), (s) => s.devices.list());
    print(opts, devices, () =>
      table(
        devices.map((d) => ({ ...d, lastSeenAt: d.lastSeenAt ? new Date(d.lastSeenAt).toISOString() : null })),
        ['id', 'kind', 'description', 'disabled', 'lastSeenAt'],
      ),
    );
  });

  common(
    device.command('remove <id>').description('Remove a device; it can no longer connect. Its readings stay.'),
  ).action((id: string, opts: CommonOptions) => {
    withStore(loadCliConfig(opts), (s) => removeDevice(s, id, cliActor()));
    print(opts, { removed: id }, () => `removed ${id}`);
  });

  common(
    device.command('rotate <id>').description('Issue a new MQTT password for a device (the old one stops working).'),
  ).action(async (id: string, opts: CommonOptions) => {
    const creds = await withStoreAsync(loadCliConfig(opts), (s) => rotateDeviceSecret(s, id, cliActor()));
    print(opts, creds, () => showCreds(creds));
  });
}
