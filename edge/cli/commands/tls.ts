import type { Command } from 'commander';
import { ClassEdgeError } from '../../errors.js';
import { setupSelfSignedTls } from '../../provision/tls.js';
import { defaultHosts } from '../../security/tls.js';
import { cliActor, print, resolveConfig, withStore, type CommonOptions } from '../io.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE } from '../../store/db.js';

interface TlsGenerateOptions extends CommonOptions {
  days: string;
  host: string[];
  force?: boolean;
  enable?: boolean;
}

export function registerTls(program: Command): void {
  const tls = program.command('tls').description("The appliance's certificate for HTTPS and MQTT over TLS.");
  tls
    .command('generate')
    .description(
      'Make a self-signed certificate and key (openssl req, ECDSA P-256) in <data dir>/tls/ for when the district issues none, and print its SHA-256 fingerprint to check in the browser. An existing pair is kept unless --force.',
    )
    .option('--days <n>', 'validity in days', '825')
    .option(
      '--host <name>',
      `a DNS name or IP address browsers and devices use for this box (repeatable; always added: ${defaultHosts().join(', ')})`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--force', 'replace an existing certificate (browsers that trusted the old one will warn again)')
    .option(
      '--enable',
      'also switch http.tls and mqtt.tls on with this pair in the configuration file (restart to apply); plain text then stays on loopback',
    )
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--json', 'print as JSON')
    .action((opts: TlsGenerateOptions) => {
      if (!/^\d+$/.test(opts.days))
        throw new ClassEdgeError('invalid_input', `--days: expected whole days, got '${opts.days}'`);
      const { config, source } = resolveConfig(opts);
      const r = setupSelfSignedTls(source, config, {
        days: Number(opts.days),
        hosts: opts.host,
        enable: opts.enable === true,
        ...(opts.force ? { force: true } : {}),
      });
      const g = r.generated;
      if ((g.created || r.enabled) && existsSync(join(config.dataDir, DB_FILE))) {
        withStore(config, (s) =>
          s.audit.record({
            actor: cliActor(),
            action: 'tls.generate',
            target: g.certFile,
            result: 'ok',
            detail: { created: g.created, enabled: r.enabled, fingerprint256: g.info.fingerprint256 },
          }),
        );
      }
      print(
        opts,
        {
          created: g.created,
          enabled: r.enabled,
          certFile: g.certFile,
          keyFile: g.keyFile,
          subject: g.info.subject,
          altNames: g.info.altNames,
          validTo: g.info.validTo.toISOString(),
          fingerprint256: g.info.fingerprint256,
          ...(r.otherCertFile ? { otherCertFile: r.otherCertFile } : {}),
        },
        () =>
          [
            `${g.created ? 'Made' : 'Kept the existing'} certificate ${g.certFile} (key ${g.keyFile}, mode 0600)`,
            `  for:        ${g.info.altNames}`,
            `  valid to:   ${g.info.validTo.toISOString()}`,
            `  SHA-256:    ${g.info.fingerprint256}`,
            '  Check this fingerprint in the browser (certificate details) before trusting the page; devices pin this certificate.',
            r.otherCertFile
              ? `http.tls.certFile names another certificate (${r.otherCertFile}); it stays in use${r.enabled ? ', and mqtt.tls was switched on with it' : ''}.`
              : r.enabled
                ? `http.tls and mqtt.tls switched on in ${source.file}; restart the appliance (systemctl restart classedge) to serve HTTPS and MQTT over TLS.`
                : opts.enable
                  ? 'http.tls and mqtt.tls already use this certificate.'
                  : 'To serve it: classedge tls generate --enable (or set http.tls.enabled, certFile, keyFile).',
          ].join('\n'),
      );
    });
}
