import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { configFile, overridesFrom, print, type CommonOptions } from '../io.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Check and show the configuration.');
  config
    .command('validate [file]')
    .description('Validate a configuration file; lists every problem with its path, line, value and what was expected.')
    .option('--json', 'print the result as JSON')
    .action((file: string | undefined, opts: CommonOptions) => {
      const path = file ?? configFile(opts);
      try {
        loadConfig(path, overridesFrom(opts));
        print(opts, { valid: true, file: path ?? null, issues: [] }, () => `${path ?? '(defaults)'}: valid`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        print(opts, { valid: false, file: path ?? null, issues: err.issues }, () => err.message);
        process.exitCode = 2;
      }
    });
  config
    .command('show')
    .description('Print the configuration in effect, with defaults filled in.')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'print as JSON (the default output is JSON too)')
    .action((opts: CommonOptions) => {
      const c = loadConfig(configFile(opts), overridesFrom(opts));
      process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
    });
}
