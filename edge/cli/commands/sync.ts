import { resolve } from 'node:path';
import type { Command } from 'commander';
import { demoOverlay } from '../demo.js';
import { readEnrolment } from '../../sync/keys.js';
import { enrolWithDistrict, reenrolment } from '../../sync/enrol.js';
import { SyncAgent } from '../../sync/agent.js';
import { createLogger } from '../../log.js';
import { cliActor, loadCliConfig, print, readTokenOption, table, withStore, type CommonOptions } from '../io.js';
import { ClassEdgeError } from '../../errors.js';
import { Prompter } from '../../provision/prompt.js';
import { TEXT } from '../../provision/text.js';
import { resolveLang } from '../lang.js';

export function registerSync(program: Command): void {
  program
    .command('enrol')
    .description(
      "Enrol this appliance with the district: its key pair is made here (the private key never leaves), the one-time token is the district's. Also how a box provisioned standalone joins its district later.",
    )
    .option(
      '--district <url>',
      'district receiver, e.g. https://sync.district.example (asked for at a terminal when not given)',
    )
    .option(
      '--token-file <file>',
      'read the one-time enrolment token (from classedge-district token create) from this file; without it, from a hidden prompt or standard input',
    )
    .option('--token <token>', 'the token on the command line (deprecated: visible in ps)')
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--demo', "enrol the demo appliance (the data directory and identity of 'classedge start --demo')")
    .option(
      '--force',
      'replace an enrolment with another district, or with a district key other than the pinned one (audited)',
    )
    .option('--lang <lang>', 'language of the prompts and the report: zh-CN (the default) or en (or an English locale)')
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: CommonOptions & {
          district?: string;
          token?: string;
          tokenFile?: string;
          demo?: boolean;
          force?: boolean;
          lang?: string;
        },
      ) => {
        const t = TEXT[resolveLang(opts.lang)];
        const config = loadCliConfig(
          opts,
          opts.demo ? demoOverlay(resolve(process.cwd(), '.classedge-demo')) : undefined,
        );
        let district = opts.district;
        if (district === undefined && process.stdin.isTTY) {
          const p = new Prompter(process.stdin, process.stderr, t.ask);
          try {
            district = await p.ask(t.enrol.districtPrompt);
          } finally {
            p.close();
          }
        }
        if (!district) throw new ClassEdgeError('invalid_input', t.enrol.noDistrict);
        const token = await readTokenOption(opts, t.enrol.tokenPrompt, t.errors.tokenOnCommandLine);
        if (token === '') throw new ClassEdgeError('invalid_input', t.enrol.noToken);
        const previous = readEnrolment(config.dataDir);
        const e = await enrolWithDistrict(config, district, token, { force: opts.force === true });
        const replaced = reenrolment(previous, e);
        withStore(config, (s) => {
          // A box provisioned standalone is standalone no more.
          s.meta.delete('standalone');
          s.audit.record({
            actor: cliActor(),
            action: replaced ? 'sync.reenrol' : 'sync.enrol',
            target: district,
            result: 'ok',
            ...(replaced ? { detail: { ...replaced, forced: true } } : {}),
          });
        });
        print(opts, e, () => `${t.enrol.done(config.appliance.id, district)}\n${t.enrol.next}`);
      },
    );

  const sync = program.command('sync').description('The district sync: what has been sent, what waits.');
  sync
    .command('status')
    .description(
      'Per stream: confirmed by the district, backlog, last success and last error; and the records the district refused (the quarantine), with reasons.',
    )
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--json', 'print as JSON')
    .action((opts: CommonOptions) => {
      const config = loadCliConfig(opts);
      const enrolment = readEnrolment(config.dataDir);
      const { streams, refusedAnswers, quarantine } = withStore(config, (store) => {
        const agent = new SyncAgent({ config, store, log: createLogger({ level: 'silent' }) });
        return { streams: agent.streams(), refusedAnswers: agent.refusedAnswers(), quarantine: agent.quarantine() };
      });
      print(
        opts,
        {
          enrolled: enrolment !== undefined,
          district: enrolment?.districtUrl ?? null,
          window: config.sync.bulkWindow,
          streams,
          refusedAnswers,
          quarantine,
        },
        () =>
          [
            enrolment
              ? `district ${enrolment.districtUrl} (appliance ${enrolment.applianceId})`
              : 'not enrolled: nothing is sent (classedge enrol)',
            `bulk window ${config.sync.bulkWindow.from}-${config.sync.bulkWindow.to} local time`,
            ...(refusedAnswers.last
              ? [
                  `district answers refused (not signed or not verifying): ${refusedAnswers.count}, last at ${new Date(refusedAnswers.last.at).toISOString()}: ${refusedAnswers.last.why}`,
                ]
              : []),
            table(
              streams.map((s) => ({
                ...s,
                lastSuccessAt: s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : null,
              })),
              ['stream', 'confirmedSeq', 'backlog', 'quarantined', 'lastSuccessAt', 'lastError'],
            ),
            quarantine.count === 0
              ? 'quarantine: empty'
              : [
                  `quarantine: ${quarantine.count} record(s) the district refused (${Object.entries(quarantine.byStream)
                    .map(([k, n]) => `${k} ${n}`)
                    .join(', ')}); latest:`,
                  table(
                    quarantine.latest.map((q) => ({ ...q, quarantinedAt: new Date(q.quarantinedAt).toISOString() })),
                    ['stream', 'seq', 'quarantinedAt', 'reason'],
                  ),
                ].join('\n'),
          ].join('\n'),
      );
    });
}
