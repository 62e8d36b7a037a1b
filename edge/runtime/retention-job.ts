import { BaseComponent } from './component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { enforceRetention } from '../store/retention.js';
import { bootId, monoNow } from '../clock.js';
import { formatShift, judgeClock } from './clock-guard.js';
import { purgeDatabaseCopies } from '../update/copies.js';

/**
 * Runs the retention rules at start and then on the configured interval, but only while the wall
 * clock can be believed: a clock set two years ahead would otherwise make every record look
 * expired. Every `retention.clockCheckSeconds` (and before each run) the wall clock is compared
 * with the monotonic clock since the last trusted moment (`judgeClock`); a move beyond the
 * tolerance is written to the audit log (`clock.jump`) and pauses purging until the clock is back
 * where the monotonic clock says it should be (`clock.restored`) or an admin confirms the time
 * (`classedge retention trust-clock`). `classedge doctor` shows the pause.
 */
/** How old the stored trusted clock point may grow before a check writes a new one. */
const TRUST_REWRITE_MS = 30 * 60_000;

export class RetentionJob extends BaseComponent {
  readonly name = 'retention';
  readonly kind = 'retention-job';
  readonly #o: { store: Store; config: Config; log: Logger };
  #timer: NodeJS.Timeout | undefined;
  #clockTimer: NodeJS.Timeout | undefined;
  #runs = 0;
  #deleted = 0;
  #refused = 0;
  #clockJumps = 0;

  constructor(o: { store: Store; config: Config; log: Logger }) {
    super();
    this.#o = o;
  }

  protected override counters(): Record<string, number> {
    return { runs: this.#runs, deleted: this.#deleted, refused: this.#refused, clockJumps: this.#clockJumps };
  }

  /** Judge the wall clock now, record a change of verdict; true when it may be used to purge. */
  checkClock(): boolean {
    const { store, config, log } = this.#o;
    const now = { wall: Date.now(), mono: monoNow(), boot: bootId() };
    const state = store.clock.get();
    const newest = store.audit.newestTs();
    const toleranceMs = config.retention.clockJumpToleranceMinutes * 60_000;
    const v = judgeClock({
      state,
      now,
      newestRecord: newest,
      limits: { toleranceMs, maxOffMs: config.retention.clockMaxOffDays * 86_400_000 },
    });
    if (v.trusted) {
      // Any consistent (wall, monotonic, boot) point of this boot serves as the reference; writing a new
      // one every check would be a database commit a minute on flash for nothing (docs/storage.md).
      const ref = state?.trusted;
      if (!ref || ref.boot !== now.boot || state?.suspect || now.mono - ref.mono >= TRUST_REWRITE_MS)
        store.clock.trust(now);
      if (state?.suspect) {
        store.audit.record(
          {
            actor: 'system',
            action: 'clock.restored',
            result: 'ok',
            detail: { wasSuspectSince: state.suspect.since, reason: state.suspect.reason, retention: 'resumed' },
          },
          now.wall,
        );
        log.info(
          { was: state.suspect.reason },
          'the wall clock agrees with the monotonic clock again; retention resumes',
        );
        this.setState('running');
      }
      return true;
    }
    // A further move while already suspect is a new jump worth its own record; the same one is not.
    const known = state?.suspect;
    const moved =
      known === undefined || (v.driftMs !== undefined && Math.abs(v.driftMs - (known.driftMs ?? 0)) > toleranceMs);
    if (moved) {
      this.#clockJumps++;
      store.clock.suspect(
        { since: now.wall, reason: v.reason, driftMs: v.driftMs },
        state?.trusted ?? { wall: newest ?? now.wall, mono: 0, boot: 'unknown' },
      );
      store.audit.record(
        {
          actor: 'system',
          action: 'clock.jump',
          result: 'error',
          detail: {
            reason: v.reason,
            ...(v.driftMs !== undefined ? { driftMs: Math.round(v.driftMs), shift: formatShift(v.driftMs) } : {}),
            retention: 'paused',
          },
        },
        now.wall,
      );
      log.warn({ reason: v.reason, driftMs: v.driftMs }, 'the wall clock moved implausibly; retention paused');
    }
    this.setState('degraded', `retention paused: ${v.reason}`);
    return false;
  }

  run(): void {
    try {
      if (!this.checkClock()) {
        this.#refused++;
        return;
      }
      const deleted = enforceRetention(this.#o.store, this.#o.config);
      deleted['database-copies'] = purgeDatabaseCopies(this.#o.config).removed.length;
      this.#runs++;
      const total = Object.values(deleted).reduce((a, b) => a + b, 0);
      this.#deleted += total;
      if (total > 0) this.#o.log.info({ deleted }, 'retention removed expired rows');
      this.setState('running');
    } catch (err) {
      this.#o.log.error({ err }, 'retention job failed');
      this.setState('degraded', `last run failed: ${(err as Error).message}`);
    }
  }

  async start(): Promise<void> {
    this.run();
    this.#timer = this.every(
      this.#o.config.retention.jobIntervalMinutes * 60_000,
      () => this.run(),
      (err) => this.#o.log.error({ err }, 'retention job failed; retrying at the next run'),
    );
    this.#clockTimer = this.every(
      this.#o.config.retention.clockCheckSeconds * 1000,
      () => this.checkClock(),
      (err) => this.#o.log.error({ err }, 'clock check failed; retrying at the next one'),
    );
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#clockTimer) clearInterval(this.#clockTimer);
    this.#timer = undefined;
    this.#clockTimer = undefined;
    this.setState('stopped');
  }
}
