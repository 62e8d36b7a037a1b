import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { runChecks, type CheckResult } from '../../doctor/checks.js';
import { loadCliConfig, print, type CommonOptions } from '../io.js';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check the appliance and say what to fix: config, data directory, disk, clock, serial ports, database, the programs configured components start, HTTPS certificate, API and broker.',
    )
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--http-port <port>', 'HTTP port (env CLASSEDGE_HTTP_PORT)')
    .option('--mqtt-port <port>', 'MQTT port (env CLASSEDGE_MQTT_PORT)')
    .option('--json', 'print as JSON')
    .action(async (opts: CommonOptions) => {
      let results: CheckResult[];
      try {
        results = await runChecks(loadCliConfig(opts));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        results = [
          {
            name: 'config',
            status: 'fail',
            detail: err.message,
            fix: 'correct the configuration; classedge config validate lists every problem',
          },
        ];
      }
      const failed = results.filter((r) => r.status === 'fail').length;
      print(opts, { ok: failed === 0, checks: results }, () =>
        results
          .map((r) => `${MARK[r.status]}  ${r.name.padEnd(13)} ${r.detail}${r.fix ? `\n      -> ${r.fix}` : ''}`)
          .join('\n'),
      );
      if (failed > 0) process.exitCode = 1;
    });
}
