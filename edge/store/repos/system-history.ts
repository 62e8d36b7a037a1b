import type { Db } from '../db.js';

/** One sample of the appliance's own health (the 系统状态 charts). */
export interface HistorySample {
  ts: number;
  /** Milliseconds this sample covers (since the previous one, or since start). */
  spanMs: number;
  /** Share of the machine's cores the process used over the span, 0..1. */
  cpuShare: number;
  rssBytes: number;
  diskFreeBytes: number;
  /** Block-device bytes the process wrote over the span; null where the kernel does not count them. */
  flashBytes: number | null;
  loopLagP99Ms: number;
  /** The stream furthest behind, in seconds; null when not enrolled with a district. */
  syncLagS: number | null;
}

/**
 * A ring of samples bounded by row count. Appending writes one small row; the oldest rows go in a
 * batch once the table is a few rows past its bound, so that most appends touch one page only.
 */
export class SystemHistoryRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  append(s: HistorySample, maxRows: number): void {
    this.#db.transaction(() => {
      const { id } = this.#db
        .prepare<[number, number, number, number, number, number | null, number, number | null], { id: number }>(
          `INSERT INTO system_history (ts, span_ms, cpu_share, rss_bytes, disk_free_bytes, flash_bytes, loop_lag_p99_ms, sync_lag_s)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          s.ts,
          Math.round(s.spanMs),
          s.cpuShare,
          Math.round(s.rssBytes),
          Math.round(s.diskFreeBytes),
          s.flashBytes === null ? null : Math.round(s.flashBytes),
          s.loopLagP99Ms,
          s.syncLagS,
        )!;
      const slack = Math.max(1, Math.floor(maxRows / 100));
      const oldest = this.#db.prepare<[], { id: number | null }>('SELECT min(id) AS id FROM system_history').get()?.id;
      if (oldest !== null && oldest !== undefined && id - oldest + 1 > maxRows + slack - 1)
        this.#db.prepare('DELETE FROM system_history WHERE id <= ?').run(id - maxRows);
    })();
  }

  /** Samples at or after `sinceTs`, oldest first. */
  since(sinceTs: number): HistorySample[] {
    return this.#db
      .prepare<[number], HistorySample>(
        `SELECT ts, span_ms AS spanMs, cpu_share AS cpuShare, rss_bytes AS rssBytes, disk_free_bytes AS diskFreeBytes,
                flash_bytes AS flashBytes, loop_lag_p99_ms AS loopLagP99Ms, sync_lag_s AS syncLagS
         FROM system_history WHERE ts >= ? ORDER BY id`,
      )
      .all(sinceTs);
  }

  count(): number {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM system_history').get()!.n;
  }
}
