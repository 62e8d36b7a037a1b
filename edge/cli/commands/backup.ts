import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { backupAppliance, restoreAppliance } from '../../backup/backup.js';
import { checkPassphrase } from '../../backup/archive.js';
import { loadConfig } from '../../config/load.js';
import { cliActor, configFile, overridesFrom, print, readSecret, resolveConfig, type CommonOptions } from '../io.js';

async function passphrase(file: string | undefined): Promise<string> {
  // A file or standard input for scripts, a hidden prompt at a terminal; never a flag (shell history).
  const p = file ? (readFileSync(file, 'utf8').split('\n')[0] ?? '') : await readSecret('Backup passphrase: ');
  checkPassphrase(p);
  return p;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'Write an encrypted archive of the database (online backup, safe while running), the keys and enrolment, and the configuration.',
    )
    .requiredOption('--out <file>', 'archive to write, e.g. /media/usb/room-101-2026-11-22.ceb')
    .option('--passphrase-file <file>', 'read the passphrase from this file (else a prompt or standard input)')
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--json', 'print as JSON')
    .action(async (opts: CommonOptions & { out: string; passphraseFile?: string }) => {
      const { config, source } = resolveConfig(opts);
      const header = await backupAppliance(
        config,
        source,
        resolve(opts.out),
        await passphrase(opts.passphraseFile),
        cliActor(),
      );
      print(
        opts,
        { file: resolve(opts.out), ...header },
        () => `backup of ${config.appliance.id} written to ${resolve(opts.out)} (${String(header.files)})`,
      );
    });

  program
    .command('restore <file>')
    .description(
      'Restore a backup into an empty data directory (a replacement box): the same data, the same identity; the district is told.',
    )
    .option('--passphrase-file <file>', 'read the passphrase from this file (else a prompt or standard input)')
    .option('-c, --config <file>', 'configuration file to write (default: <data dir>/config.yaml)')
    .option('--data-dir <dir>', 'data directory to restore into (env CLASSEDGE_DATA_DIR)')
    .option('--force', 'replace the configuration file if it exists (never the data directory)')
    .option('--json', 'print as JSON')
    .action(async (file: string, opts: CommonOptions & { passphraseFile?: string; force?: boolean }) => {
      const dataDir = overridesFrom(opts).dataDir ?? loadConfig(undefined).dataDir;
      const configTarget = configFile(opts) ?? join(dataDir, 'config.yaml');
      const r = await restoreAppliance(
        resolve(file),
        await passphrase(opts.passphraseFile),
        { dataDir, configFile: resolve(configTarget), force: opts.force === true },
        cliActor(),
      );
      print(
        opts,
        r,
        () =>
          `restored ${r.applianceId} (backup of ${r.backupCreatedAt}) into ${r.dataDir}; configuration ${r.configFile}; district: ${r.district}`,
      );
    });
}
