import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importRoster, parseRoster } from '../../health/roster.js';
import { cliActor, loadCliConfig, print, withStore, type CommonOptions } from '../io.js';

export function registerRoster(program: Command): void {
  const roster = program
    .command('roster')
    .description("The class roster for the morning health check (the district's CSV export).");
  roster
    .command('import <file>')
    .description(
      'Import a roster CSV (UTF-8 or GBK): class_id, class_name, student_no, name[, card_id, guardian_phone, guardian_consent]. A bad file changes nothing.',
    )
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--json', 'print as JSON')
    .action((file: string, opts: CommonOptions) => {
      const { rows, encoding } = parseRoster(readFileSync(file));
      const r = withStore(loadCliConfig(opts), (s) => {
        const result = importRoster(s, rows, cliActor());
        s.audit.record({ actor: cliActor(), action: 'health.roster-import', result: 'ok', detail: { ...result } });
        return result;
      });
      print(
        opts,
        { ...r, encoding },
        () =>
          `imported ${r.students} students in ${r.classes} classes (${encoding}); ${r.deactivated} no longer on the roster were marked inactive; ${r.consents} guardian consents recorded`,
      );
    });
}
