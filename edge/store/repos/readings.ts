import type { Db } from '../db.js';

export interface ReadingRow {
  deviceId: string;
  metric: string;
  value: number;
  ts: number;
  receivedAt: number;
}

/** A stored reading with its row id, which is also its sequence number in the district stream. */
export interface NumberedReading {
  id: number;
  deviceId: string;
  metric: string;
  value: number;
  ts: number;
}

export interface ReadingQuery {
  deviceId?: string;
  metric?: string;
  from?: number;
  to?: number;
  limit: number;
}

export class ReadingsRepo {
  readonly #db: Db;
  readonly #insert;
  readonly #insertMany;
  constructor(db: Db) {
    this.#db = db;
    // The row id is the reading's number in the district stream, so it must never be one the
    // district already holds: past the newest row, and past the district's confirmed position,
    // which is ahead of the table after an old backup is restored or when retention has removed
    // every confirmed row (SQLite alone would number from max(rowid) + 1 and reuse them).
    this.#insert = db.prepare<[string, string, number, number, number]>(
      `INSERT INTO readings (id, device_id, metric, value, ts, received_at) VALUES (
         max(coalesce((SELECT max(id) FROM readings), 0),
             coalesce((SELECT confirmed_seq FROM sync_state WHERE stream = 'readings'), 0)) + 1,
         ?, ?, ?, ?, ?)`,
    );
    this.#insertMany = db.transaction((rows: readonly ReadingRow[]) => {
      for (const r of rows) this.#insert.run(r.deviceId, r.metric, r.value, r.ts, r.receivedAt);
    });
  }

  /** Insert rows in one transaction: all are committed, or none. */
  insertMany(rows: readonly ReadingRow[]): void {
    this.#insertMany.immediate(rows);
  }

  query(q: ReadingQuery): ReadingRow[] {
    return this.#db
      .prepare<
        Record<string, unknown>,
        { device_id: string; metric: string; value: number; ts: number; received_at: number }
      >(
        `SELECT device_id, metric, value, ts, received_at FROM readings
         WHERE (@deviceId IS NULL OR device_id = @deviceId) AND (@metric IS NULL OR metric = @metric)
           AND ts >= @from AND ts <= @to
         ORDER BY ts DESC, id DESC LIMIT @limit`,
      )
      .all({
        deviceId: q.deviceId ?? null,
        metric: q.metric ?? null,
        from: q.from ?? 0,
        to: q.to ?? Number.MAX_SAFE_INTEGER,
        limit: q.limit,
      })
      .map((r) => ({ deviceId: r.device_id, metric: r.metric, value: r.value, ts: r.ts, receivedAt: r.received_at }));
  }

  /** The newest value of every (device, metric) series: the room's current state. */
  latest(): ReadingRow[] {
    return this.#db
      .prepare<[], { device_id: string; metric: string; value: number; ts: number; received_at: number }>(
        `SELECT r.device_id, r.metric, r.value, r.ts, r.received_at FROM readings r
         JOIN (SELECT device_id, metric, max(ts) AS ts FROM readings GROUP BY device_id, metric) m
           ON m.device_id = r.device_id AND m.metric = r.metric AND m.ts = r.ts
         GROUP BY r.device_id, r.metric`,
      )
      .all()
      .map((r) => ({ deviceId: r.device_id, metric: r.metric, value: r.value, ts: r.ts, receivedAt: r.received_at }));
  }

  count(): number {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM readings').get()?.n ?? 0;
  }

  /** Readings after row `afterId`, in row order: the district stream's next records. */
  after(afterId: number, limit: number): NumberedReading[] {
    return this.#db
      .prepare<[number, number], { id: number; device_id: string; metric: string; value: number; ts: number }>(
        'SELECT id, device_id, metric, value, ts FROM readings WHERE id > ? ORDER BY id LIMIT ?',
      )
      .all(afterId, limit)
      .map((r) => ({ id: r.id, deviceId: r.device_id, metric: r.metric, value: r.value, ts: r.ts }));
  }

  /** The newest row id (0 when empty): the readings stream's last sequence number. */
  maxId(): number {
    return this.#db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM readings').get()?.m ?? 0;
  }

  /** Every reading received after `receivedAt`, one at a time (a catch-up may cover many). */
  *receivedAfter(receivedAt: number): Generator<ReadingRow> {
    const rows = this.#db
      .prepare<[number], { device_id: string; metric: string; value: number; ts: number; received_at: number }>(
        'SELECT device_id, metric, value, ts, received_at FROM readings WHERE received_at > ?',
      )
      .iterate(receivedAt);
    for (const r of rows)
      yield { deviceId: r.device_id, metric: r.metric, value: r.value, ts: r.ts, receivedAt: r.received_at };
  }
}
