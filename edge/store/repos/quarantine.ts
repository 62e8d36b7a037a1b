import type { Db } from '../db.js';

/** A record the district refused, held back from its stream. */
export interface QuarantinedRecord {
  stream: string;
  seq: number;
  /** The day it was sent with. */
  day: string;
  /** The record as it was sent (JSON). */
  payload: string;
  /** The district's reason, naming the field. */
  reason: string;
  quarantinedAt: number;
}

/** What the sync status shows of the quarantine: how many, per stream, and the latest with their reasons. */
export interface QuarantineSummary {
  count: number;
  byStream: Record<string, number>;
  latest: { stream: string; seq: number; reason: string; quarantinedAt: number }[];
}

/**
 * The sync quarantine: records the district refused by name (a day outside its window, a record
 * that is not one). Their numbers are sent as quarantined lines, so the stream goes on without
 * gaps; the records themselves stay here, with the reason, for an administrator to see.
 */
export class QuarantineRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Quarantine records (a record already there keeps its first reason). */
  add(records: readonly QuarantinedRecord[]): void {
    const put = this.#db.prepare<[string, number, string, string, string, number]>(
      'INSERT INTO sync_quarantine (stream, seq, day, payload, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.#db.transaction(() => {
      for (const r of records) put.run(r.stream, r.seq, r.day, r.payload, r.reason, r.quarantinedAt);
    })();
  }

  /** The stream's quarantined numbers from `from` to `to`, with their reasons. */
  reasons(stream: string, from: number, to: number): Map<number, string> {
    return new Map(
      this.#db
        .prepare<[string, number, number], { seq: number; reason: string }>(
          'SELECT seq, reason FROM sync_quarantine WHERE stream = ? AND seq BETWEEN ? AND ?',
        )
        .all(stream, from, to)
        .map((r) => [r.seq, r.reason]),
    );
  }

  count(stream: string): number {
    return (
      this.#db
        .prepare<[string], { n: number }>('SELECT count(*) AS n FROM sync_quarantine WHERE stream = ?')
        .get(stream)?.n ?? 0
    );
  }

  summary(latest = 20): QuarantineSummary {
    const per = this.#db
      .prepare<[], { stream: string; n: number }>('SELECT stream, count(*) AS n FROM sync_quarantine GROUP BY stream')
      .all();
    const rows = this.#db
      .prepare<[number], { stream: string; seq: number; reason: string; quarantined_at: number }>(
        'SELECT stream, seq, reason, quarantined_at FROM sync_quarantine ORDER BY quarantined_at DESC, stream, seq DESC LIMIT ?',
      )
      .all(latest);
    return {
      count: per.reduce((n, r) => n + r.n, 0),
      byStream: Object.fromEntries(per.map((r) => [r.stream, r.n])),
      latest: rows.map((r) => ({ stream: r.stream, seq: r.seq, reason: r.reason, quarantinedAt: r.quarantined_at })),
    };
  }

  /** Every quarantined record of a stream, oldest number first (for an administrator's export). */
  all(stream: string): QuarantinedRecord[] {
    return this.#db
      .prepare<
        [string],
        { stream: string; seq: number; day: string; payload: string; reason: string; quarantined_at: number }
      >('SELECT stream, seq, day, payload, reason, quarantined_at FROM sync_quarantine WHERE stream = ? ORDER BY seq')
      .all(stream)
      .map((r) => ({
        stream: r.stream,
        seq: r.seq,
        day: r.day,
        payload: r.payload,
        reason: r.reason,
        quarantinedAt: r.quarantined_at,
      }));
  }
}
