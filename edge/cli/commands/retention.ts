import type { Command } from 'commander';
import { bootId, monoNow } from '../../clock.js';
import { cliActor, loadCliConfig, print, withStore, type CommonOptions } from '../io.js';

export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description('The retention job: whether it purges, and confirming the clock after it paused.');
  const common = (c: Command): Command =>
    c
      .option('-c, --config <file>', 'configuration file')
      .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
      .option('--json', 'print as JSON');

  common(retention.command('status').description('Whether retention purges, or why it is paused.')).action(
    (opts: CommonOptions) => {
      const state = withStore(loadCliConfig(opts), (s) => s.clock.get());
      const out = {
        purging: state?.suspect === undefined,
        ...(state ? { trustedAt: new Date(state.trusted.wall).toISOString() } : {}),
        ...(state?.suspect
          ? { pausedSince: new Date(state.suspect.since).toISOString(), reason: state.suspect.reason }
          : {}),
      };
      print(opts, out, () =>
        out.purging
          ? `retention purges; the clock was last trusted at ${out.trustedAt ?? '(not yet checked)'}`
          : `retention paused since ${out.pausedSince}: ${out.reason}`,
      );
    },
  );

  common(
    retention
      .command('trust-clock')
      .description(
        'Confirm that the system time is right now (check it first: date -u; timedatectl): retention measures from this moment and purges again. Audited.',
      ),
  ).action((opts: CommonOptions) => {
    const now = { wall: Date.now(), mono: monoNow(), boot: bootId() };
    const was = withStore(loadCliConfig(opts), (store) =>
      store.transaction(() => {
        const before = store.clock.get();
        store.clock.trust(now);
        store.audit.record(
          {
            actor: cliActor(),
            action: 'clock.trusted',
            result: 'ok',
            detail: {
              at: new Date(now.wall).toISOString(),
              ...(before?.suspect ? { was: before.suspect.reason } : {}),
            },
          },
          now.wall,
        );
        return before?.suspect;
      }),
    );
    print(
      opts,
      { trustedAt: new Date(now.wall).toISOString(), was: was?.reason ?? null },
      () =>
        `the clock is trusted as of ${new Date(now.wall).toISOString()}${was ? ` (retention was paused: ${was.reason})` : ''}; retention purges again from its next run`,
    );
  });
}
