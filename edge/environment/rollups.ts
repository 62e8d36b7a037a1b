import type { Store } from '../store/store.js';
import type { ReadingRow } from '../store/repos/readings.js';
import type { MinuteBucket, RollupDelta } from '../store/repos/rollups.js';

export const MINUTE = 60_000;
export type Bucket = MinuteBucket;

const add = (b: Bucket | undefined, v: number): Bucket =>
  b
    ? { n: b.n + 1, sum: b.sum + v, min: Math.min(b.min, v), max: Math.max(b.max, v) }
    : { n: 1, sum: v, min: v, max: v };

/**
 * Room-level minute buckets of one metric (all sensors together) for the last 24 h, with rolling
 * averages that cost O(1) per reading: the closed minutes of each window are summed once per minute.
 */
export class MetricWindows {
  readonly #buckets = new Map<number, Bucket>();
  #latestMinute = 0;
  readonly #closed = new Map<number, { minute: number; sum: number; n: number; minutes: number }>();

  add(ts: number, value: number): void {
    const m = Math.floor(ts / MINUTE);
    this.#buckets.set(m, add(this.#buckets.get(m), value));
    if (m > this.#latestMinute) {
      this.#latestMinute = m;
      for (const k of this.#buckets.keys()) if (k < m - 24 * 60) this.#buckets.delete(k);
    }
  }

  merge(minute: number, b: Bucket): void {
    const cur = this.#buckets.get(minute);
    this.#buckets.set(
      minute,
      cur
        ? { n: cur.n + b.n, sum: cur.sum + b.sum, min: Math.min(cur.min, b.min), max: Math.max(cur.max, b.max) }
        : { ...b },
    );
    this.#latestMinute = Math.max(this.#latestMinute, minute);
    this.#closed.clear();
  }

  /** Average over the `windowMs` ending at the newest minute, and the share of minutes that hold data. */
  average(windowMs: number): { avg: number; coverage: number } | undefined {
    const minutes = Math.round(windowMs / MINUTE);
    const now = this.#latestMinute;
    let c = this.#closed.get(minutes);
    if (!c || c.minute !== now) {
      let sum = 0;
      let n = 0;
      let with_ = 0;
      for (let m = now - minutes + 1; m < now; m++) {
        const b = this.#buckets.get(m);
        if (b) {
          sum += b.sum;
          n += b.n;
          with_++;
        }
      }
      c = { minute: now, sum, n, minutes: with_ };
      this.#closed.set(minutes, c);
    }
    const cur = this.#buckets.get(now);
    const n = c.n + (cur?.n ?? 0);
    if (n === 0) return undefined;
    return { avg: (c.sum + (cur?.sum ?? 0)) / n, coverage: (c.minutes + (cur ? 1 : 0)) / minutes };
  }
}

/**
 * Per-sensor minute rollups in SQLite. New readings accumulate as deltas and are flushed with
 * their watermark in one transaction; after a crash, readings received after the watermark are
 * rolled up again, so a rollup counts every stored reading once.
 */
export class RollupStore {
  readonly #store: Pick<Store, 'rollups' | 'readings'>;
  #deltas = new Map<string, RollupDelta>();
  #watermark = 0;

  constructor(store: Pick<Store, 'rollups' | 'readings'>) {
    this.#store = store;
  }

  add(r: ReadingRow): void {
    const minute = Math.floor(r.ts / MINUTE);
    const key = `${r.deviceId}\u0000${r.metric}\u0000${minute}`;
    const d = this.#deltas.get(key);
    if (d) d.b = add(d.b, r.value);
    else this.#deltas.set(key, { deviceId: r.deviceId, metric: r.metric, minute, b: add(undefined, r.value) });
    if (r.receivedAt > this.#watermark) this.#watermark = r.receivedAt;
  }

  flush(): number {
    if (this.#deltas.size === 0) return 0;
    const rows = [...this.#deltas.values()];
    this.#deltas = new Map();
    this.#store.rollups.add(rows, this.#watermark);
    return rows.length;
  }

  /** Readings stored but not yet rolled up (received after the watermark): roll them up now. */
  catchUp(onRow: (r: ReadingRow) => void): number {
    let n = 0;
    for (const row of this.#store.readings.receivedAfter(this.#store.rollups.watermark())) {
      this.add(row);
      onRow(row);
      n++;
    }
    this.flush();
    return n;
  }

  /** Room-level buckets (sensors summed) of the last `sinceMs`, oldest first, for windows and charts. */
  roomBuckets(sinceMs: number, metric?: string): { metric: string; minute: number; b: Bucket }[] {
    return this.#store.rollups.roomBuckets(Math.floor(sinceMs / MINUTE), metric);
  }
}
