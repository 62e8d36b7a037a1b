import { BaseComponent } from './component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { enforceRetention } from '../store/retention.js';
import { purgeDatabaseCopies } from '../update/copies.js';

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
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.setState('stopped');
  }
}
