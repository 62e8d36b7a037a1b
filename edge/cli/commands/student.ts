import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { eraseStudent, exportStudent, recordConsentByNo } from '../../health/subject-rights.js';
import { CONSENT_STATUSES, type ConsentStatus } from '../../health/consent.js';
import { ValidationError } from '../../errors.js';
import { cliActor, loadCliConfig, print, withStore, type CommonOptions } from '../io.js';

const common = (c: Command): Command =>
  c
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)');

export function registerStudent(program: Command): void {
  const student = program
    .command('student')
    .description("A student's rights over their data (PIPL): a copy of everything stored, or erasure.");

  common(
    student
      .command('export <studentNo>')
      .description(
        'Everything stored of one student (roster entry, checks, absences, signals naming them, queued copies, audit), as JSON. Audited.',
      ),
  )
    .option('-o, --out <file>', 'write to this file (mode 0600) instead of standard output')
    .option('--json', 'print as JSON (the export is JSON either way)')
    .action((studentNo: string, opts: CommonOptions & { out?: string }) => {
      const data = withStore(loadCliConfig(opts), (s) => exportStudent(s, studentNo, cliActor()));
      const text = `${JSON.stringify(data, null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, text, { mode: 0o600 });
      else process.stdout.write(text);
    });

  common(
    student
      .command('erase <studentNo>')
      .description(
        'Delete every row of one student on this appliance, withdraw their copies waiting for the district, and queue a signed erasure record so the district deletes theirs too. Audited; cannot be undone.',
      ),
  )
    .option('--reason <text>', 'why (the guardian asked, the student left): kept in the audit log', '')
    .option('--yes', 'confirm: the erasure cannot be undone')
    .option('--json', 'print as JSON')
    .action((studentNo: string, opts: CommonOptions & { reason: string; yes?: boolean }) => {
      if (!opts.yes)
        throw new ValidationError('student erase', [
          { path: '--yes', expected: 'the flag, to confirm that the erasure cannot be undone' },
        ]);
      const config = loadCliConfig(opts);
      const r = withStore(config, (s) => eraseStudent(s, config, studentNo, cliActor(), opts.reason));
      print(
        opts,
        r,
        () =>
          `erased student ${studentNo} (${r.pseudonym}): ${r.counts.healthChecks} checks, ${r.counts.absences} absences, ${r.counts.healthAlerts} signals, ${r.counts.outbox} queued copies; erasure record ${r.erasureSeq} queued for the district`,
      );
    });

  common(
    student
      .command('consent <studentNo> <status>')
      .description(
        "Record the guardian's consent as the school took it: given, refused or withdrawn. Without 'given', the student's checks and absences stay on this appliance (not sent to the district). Audited.",
      ),
  )
    .option('--json', 'print as JSON')
    .action((studentNo: string, status: string, opts: CommonOptions) => {
      if (!(CONSENT_STATUSES as readonly string[]).includes(status))
        throw new ValidationError('student consent', [
          { path: '<status>', expected: CONSENT_STATUSES.join(', '), value: status },
        ]);
      const c = withStore(loadCliConfig(opts), (s) =>
        recordConsentByNo(s, studentNo, status as ConsentStatus, cliActor()),
      );
      print(opts, c, () => `guardian consent of student ${studentNo}: ${c.status}`);
    });
}
