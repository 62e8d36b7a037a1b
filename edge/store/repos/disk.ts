import type { Db } from '../db.js';

/**
 * What the disk guard (edge/runtime/disk-guard.ts) deletes when the disk is nearly full, least
 * important first, a bounded batch at a time (each batch is one transaction and one WAL append: a
 * large delete on a full disk would itself fail for want of WAL space).
 */
export class DiskRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Bytes of free pages inside the database file: SQLite reuses them before growing the file. */
  freeBytesInside(): number {
    const pages = this.#db.pragma('freelist_count', { simple: true }) as number;
    const size = this.#db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  /** Delete up to `limit` minute rollups older than `beforeMinute` (minutes since epoch), oldest first. */
  shedRollups(beforeMinute: number, limit: number): number {
    return this.#db
      .prepare<[number, number]>(
        `DELETE FROM readings_1m WHERE (metric, minute, device_id) IN
           (SELECT metric, minute, device_id FROM readings_1m WHERE minute < ? ORDER BY minute LIMIT ?)`,
      )
      .run(beforeMinute, limit).changes;
  }

  /**
   * Delete up to `limit` raw readings older than `before` (ms) that their minute rollups already
   * include (received before the rollup watermark) and that the district holds (at or below the
   * readings stream's confirmed position; any, on a box not enrolled), oldest first. Readings the
   * district has not confirmed are never deleted here: see docs/disk-full-and-corruption.md.
   */
  shedReadings(before: number, limit: number): number {
    return this.#db
      .prepare<[number, number]>(
        `DELETE FROM readings WHERE id IN (SELECT id FROM readings
           WHERE ts < ? AND received_at <= (SELECT received_at FROM rollup_watermark WHERE id = 1)
             AND (id <= (SELECT coalesce(max(confirmed_seq), 0) FROM sync_state WHERE stream = 'readings')
                  OR NOT EXISTS (SELECT 1 FROM meta WHERE key = 'enrolled'))
           ORDER BY id LIMIT ?)`,
      )
      .run(before, limit).changes;
  }

  /**
   * Readings the district has not confirmed yet (0 on a box not enrolled): kept whatever the disk.
   * Readings are numbered without gaps past the confirmed position (nothing unconfirmed is ever
   * deleted), so this is the newest number less the confirmed one, as the sync's backlog counts it:
   * two index lookups, where counting the rows walked a day of them (100 000s) every disk check.
   */
  unsyncedReadings(): number {
    return (
      this.#db
        .prepare<[], { n: number }>(
          `SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'enrolled') THEN
             max(0, coalesce((SELECT max(id) FROM readings), 0)
                    - (SELECT coalesce(max(confirmed_seq), 0) FROM sync_state WHERE stream = 'readings'))
           ELSE 0 END AS n`,
        )
        .get()?.n ?? 0
    );
  }
}
