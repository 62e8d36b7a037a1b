import { BaseComponent } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from './store.js';
import { dataClasses } from './data-classes.js';

const DAY_MS = 86_400_000;

/** Delete what each data class's retention says is due; returns rows deleted per class. */
export function enforceRetention(store: Store, config: Config, now = Date.now()): Record<string, number> {
  const deleted: Record<string, number> = {};
  for (const dc of dataClasses) {
    const days = dc.retentionDays(config);
    if (days === undefined || dc.timeColumn === undefined) continue;
    const cond = dc.purgeCondition ? ` AND ${dc.purgeCondition}` : '';
    const r = store.db.prepare(`DELETE FROM ${dc.table} WHERE ${dc.timeColumn} < ?${cond}`).run(now - days * DAY_MS);
    deleted[dc.name] = r.changes;
  }
  return deleted;
}

/** Runs the retention rules at start and then on the configured interval. */
export class RetentionJob extends BaseComponent {
  readonly name = 'retention';
  readonly kind = 'retention-job';
  readonly #o: { store: Store; config: Config; log: Logger };
  #timer: NodeJS.Timeout | undefined;
  #runs = 0;
  #deleted = 0;

  constructor(o: { store: Store; config: Config; log: Logger }) {
    super();
    this.#o = o;
  }

  protected override counters(): Record<string, number> {
    return { runs: this.#runs, deleted: this.#deleted };
  }

  run(): void {
    try {
      const deleted = enforceRetention(this.#o.store, this.#o.config);
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
    this.#timer = this.every(this.#o.config.retention.jobIntervalMinutes * 60_000, () => this.run(), (err) => this.#o.log.error({ err }, 'retention job failed; retrying at the next run'));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.setState('stopped');
  }
}
