import { BaseComponent } from '../runtime/component.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Config } from '../config/schema.js';
import type { HistorySample } from '../store/repos/system-history.js';
import { syncLagSeconds, type MetricsSources } from './metrics.js';
import { CpuShare, LoopLag, diskSpace, flashBytesWritten } from './process-stats.js';

/**
 * Writes one sample of the appliance's own health every metrics.historyIntervalSeconds into a ring
 * bounded by metrics.historyMaxRows: the 系统状态 page's 24-hour and 7-day charts. Rarely, because
 * every commit costs the flash at least a page (docs/metrics.md says how much).
 */
export class SystemHistory extends BaseComponent {
  readonly name = 'history';
  readonly kind = 'system-history';
  readonly #o: { config: Config; store: Store; log: Logger; sync: MetricsSources['sync']; startedAt: number };
  #timer: NodeJS.Timeout | undefined;
  #cpu: CpuShare | undefined;
  #lag: LoopLag | undefined;
  #flash: number | undefined;
  #at = 0;
  #samples = 0;

  constructor(o: { config: Config; store: Store; log: Logger; sync: MetricsSources['sync']; startedAt: number }) {
    super();
    this.#o = o;
  }

  protected override counters(): Record<string, number> {
    return { samples: this.#samples };
  }

  async start(): Promise<void> {
    this.#cpu = new CpuShare();
    this.#lag = new LoopLag();
    this.#flash = flashBytesWritten();
    this.#at = Date.now();
    this.#timer = this.every(
      this.#o.config.metrics.historyIntervalSeconds * 1000,
      () => this.sample(),
      (err) => this.#o.log.error({ err }, 'system history sample not stored; the next one is tried as usual'),
    );
    this.setState('running');
  }

  /** Measure and store one sample now (the timer calls it; so may a test). */
  sample(now = Date.now()): HistorySample {
    if (!this.#cpu || !this.#lag) throw new Error('system history: sample() before start()');
    const flash = flashBytesWritten();
    const lagS = this.#o.sync.enrolled
      ? Math.max(0, ...this.#o.sync.streams().map((s) => syncLagSeconds(s, now, this.#o.startedAt)))
      : null;
    const s: HistorySample = {
      ts: now,
      spanMs: now - this.#at,
      cpuShare: this.#cpu.take(),
      rssBytes: process.memoryUsage.rss(),
      diskFreeBytes: diskSpace(this.#o.config.dataDir).freeBytes,
      flashBytes: flash === undefined || this.#flash === undefined ? null : Math.max(0, flash - this.#flash),
      loopLagP99Ms: this.#lag.take().p99Ms,
      syncLagS: lagS,
    };
    this.#flash = flash;
    this.#at = now;
    this.#o.store.systemHistory.append(s, this.#o.config.metrics.historyMaxRows);
    this.#samples++;
    return s;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#lag?.close();
    this.#lag = undefined;
    this.#cpu = undefined;
    this.setState('stopped');
  }
}
