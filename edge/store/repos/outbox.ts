import type { Db } from '../db.js';

/** What the district has confirmed of one stream, and the last refusal. */
export interface StreamState {
  stream: string;
  confirmedSeq: number;
  lastSuccessAt: number | null;
  lastError: string | null;
}

/** One district-bound change, numbered without gaps within its stream by the outbox triggers. */
export interface OutboxRecord {
  seq: number;
  createdAt: number;
  /** The JSON the trigger wrote, sent as it is. */
  payload: string;
}

/**
 * The sync outbox (filled by triggers, in the same transaction as each change), the district's
 * confirmed position per stream, and the streams' next numbers.
 */
export class OutboxRepo {
  readonly #db: Db;
  readonly #confirm;
  constructor(db: Db) {
    this.#db = db;
    const upsert = db.prepare<[string, number, number]>(
      `INSERT INTO sync_state (stream, confirmed_seq, last_success_at) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET confirmed_seq = max(confirmed_seq, excluded.confirmed_seq), last_success_at = excluded.last_success_at, last_error = NULL`,
    );
    const drop = db.prepare<[string, number]>('DELETE FROM outbox WHERE stream = ? AND seq <= ?');
    // A position beyond what this box numbered (an old backup restored) moves its numbering past it,
    // or the next records would get numbers the district holds and be taken as already sent.
    const pastConfirmed = db.prepare<[number, string]>('UPDATE sync_seq SET next = max(next, ?) WHERE stream = ?');
    this.#confirm = db.transaction((stream: string, seq: number, at: number) => {
      upsert.run(stream, seq, at);
      drop.run(stream, seq);
      pastConfirmed.run(seq + 1, stream);
    });
  }

  confirmedSeq(stream: string): number {
    return (
      this.#db
        .prepare<[string], { confirmed_seq: number }>('SELECT confirmed_seq FROM sync_state WHERE stream = ?')
        .get(stream)?.confirmed_seq ?? 0
    );
  }

  /** Record the district's position and drop what it holds from the outbox, in one transaction. */
  confirm(stream: string, seq: number, at = Date.now()): void {
    this.#confirm.immediate(stream, seq, at);
  }

  recordError(stream: string, message: string, at = Date.now()): void {
    this.#db
      .prepare(
        'INSERT INTO sync_state (stream, last_error, last_error_at) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at',
      )
      .run(stream, message, at);
  }

  /** The stream's records after `after`, oldest first. */
  after(stream: string, after: number, limit: number): OutboxRecord[] {
    return this.#db
      .prepare<[string, number, number], { seq: number; created_at: number; payload: string }>(
        'SELECT seq, created_at, payload FROM outbox WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .all(stream, after, limit)
      .map((r) => ({ seq: r.seq, createdAt: r.created_at, payload: r.payload }));
  }

  /** How many of the stream's records wait after `after`. */
  pending(stream: string, after: number): number {
    return (
      this.#db
        .prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM outbox WHERE stream = ? AND seq > ?')
        .get(stream, after)?.n ?? 0
    );
  }

  states(): StreamState[] {
    return this.#db
      .prepare<
        [],
        { stream: string; confirmed_seq: number; last_success_at: number | null; last_error: string | null }
      >('SELECT stream, confirmed_seq, last_success_at, last_error FROM sync_state')
      .all()
      .map((r) => ({
        stream: r.stream,
        confirmedSeq: r.confirmed_seq,
        lastSuccessAt: r.last_success_at,
        lastError: r.last_error,
      }));
  }

  /** Move a stream's next number to at least `next` (after a restore, past what the district holds). */
  advanceNext(stream: string, next: number): void {
    this.#db.prepare('UPDATE sync_seq SET next = max(next, ?) WHERE stream = ?').run(next, stream);
  }
}
