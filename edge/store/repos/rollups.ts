import type { Db } from '../db.js';

/** Count, sum, min and max of the readings of one minute. */
export interface MinuteBucket {
  n: number;
  sum: number;
  min: number;
  max: number;
}

/** What one sensor's metric adds to one minute. */
export interface RollupDelta {
  deviceId: string;
  metric: string;
  minute: number;
  b: MinuteBucket;
}

/** Per-sensor minute rollups (`readings_1m`) and the watermark of the readings they include. */
export class RollupsRepo {
  readonly #db: Db;
  readonly #add;
  constructor(db: Db) {
    this.#db = db;
    const upsert = db.prepare<[string, string, number, number, number, number, number]>(
      `INSERT INTO readings_1m (device_id, metric, minute, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (metric, minute, device_id) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
         min = min(min, excluded.min), max = max(max, excluded.max)`,
    );
    const mark = db.prepare<[number]>('UPDATE rollup_watermark SET received_at = max(received_at, ?) WHERE id = 1');
    this.#add = db.transaction((rows: readonly RollupDelta[], watermark: number) => {
      for (const r of rows) upsert.run(r.deviceId, r.metric, r.minute, r.b.n, r.b.sum, r.b.min, r.b.max);
      mark.run(watermark);
    });
  }

  /** Add the deltas and move the watermark in one transaction: a rollup counts every reading once. */
  add(rows: readonly RollupDelta[], watermark: number): void {
    this.#add.immediate(rows, watermark);
  }

  /** `received_at` of the newest reading already rolled up. */
  watermark(): number {
    return (
      this.#db.prepare<[], { received_at: number }>('SELECT received_at FROM rollup_watermark WHERE id = 1').get()
        ?.received_at ?? 0
    );
  }

  /** Room-level buckets (sensors summed) from `sinceMinute`, oldest first. */
  roomBuckets(sinceMinute: number, metric?: string): { metric: string; minute: number; b: MinuteBucket }[] {
    return this.#db
      .prepare<
        [number, string | null, string | null],
        { metric: string; minute: number; n: number; sum: number; min: number; max: number }
      >(
        `SELECT metric, minute, sum(n) AS n, sum(sum) AS sum, min(min) AS min, max(max) AS max FROM readings_1m
         WHERE minute >= ? AND (? IS NULL OR metric = ?) GROUP BY metric, minute ORDER BY minute`,
      )
      .all(sinceMinute, metric ?? null, metric ?? null)
      .map((r) => ({ metric: r.metric, minute: r.minute, b: { n: r.n, sum: r.sum, min: r.min, max: r.max } }));
  }
}
