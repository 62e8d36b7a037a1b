import type { Transaction } from 'better-sqlite3';
import type { Db } from '../db.js';
import type { JournalRecord } from '../readings-journal.js';

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
    const latest = db.prepare<[string, string, number, number, number]>(
      `INSERT INTO readings_latest (device_id, metric, value, ts, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, metric) DO UPDATE SET value = excluded.value, ts = excluded.ts,
         received_at = excluded.received_at WHERE excluded.ts >= readings_latest.ts`,
    );
    const insertRows = (rows: readonly ReadingRow[]): void => {
      // The newest of each series once per batch: one small row per sensor metric, not one per reading.
      const newest = new Map<string, ReadingRow>();
      for (const r of rows) {
        this.#insert.run(r.deviceId, r.metric, r.value, r.ts, r.receivedAt);
        const key = `${r.deviceId}\u0000${r.metric}`;
        const seen = newest.get(key);
        if (!seen || r.ts >= seen.ts) newest.set(key, r);
      }
      for (const r of newest.values()) latest.run(r.deviceId, r.metric, r.value, r.ts, r.receivedAt);
    };
    this.#insertMany = db.transaction(insertRows);
    const appliedSeq = db.prepare<[], { seq: number }>('SELECT seq FROM readings_journal_applied WHERE id = 1');
    const setApplied = db.prepare<[number]>('UPDATE readings_journal_applied SET seq = ? WHERE id = 1');
    this.#applyJournal = db.transaction((records: readonly JournalRecord[]): number => {
      const applied = appliedSeq.get()?.seq ?? 0;
      const rows: ReadingRow[] = [];
      let last = applied;
      for (const rec of records) {
        if (rec.seq <= applied) continue;
        for (const r of rec.rows) rows.push(r);
        last = Math.max(last, rec.seq);
      }
      insertRows(rows);
      if (last > applied) setApplied.run(last);
      return rows.length;
    });
    this.#appliedSeq = () => appliedSeq.get()?.seq ?? 0;
  }

  readonly #applyJournal: Transaction<(records: readonly JournalRecord[]) => number>;
  readonly #appliedSeq: () => number;

  /** Insert rows in one transaction: all are committed, or none. */
  insertMany(rows: readonly ReadingRow[]): void {
    this.#insertMany.immediate(rows);
  }

  /**
   * Insert the rows of readings-journal records not applied yet, and move the applied position, in one
   * transaction: a record is applied once, whoever applies it (the appliance, or a CLI after a crash).
   * Returns the rows inserted.
   */
  applyJournal(records: readonly JournalRecord[]): number {
    return this.#applyJournal.immediate(records);
  }

  /** The last readings-journal record applied (0 when none). */
  journalAppliedSeq(): number {
    return this.#appliedSeq();
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
        'SELECT device_id, metric, value, ts, received_at FROM readings_latest ORDER BY device_id, metric',
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
