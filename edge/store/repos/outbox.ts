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
 * Why a record's payload was withdrawn from the outbox. The row stays (the stream is numbered without
 * gaps, and the district refuses a batch that skips a number) but carries nothing of the student:
 * - `expired`: it passed its data class's retention before the district confirmed it;
 * - `erased`: the student was erased (`classedge student erase`);
 * - `no-consent`: the guardian refused or withdrew consent before it left.
 */
export type Withdrawn = 'expired' | 'erased' | 'no-consent';

/** The payload a withdrawn record keeps: the reason only; the agent dates it by its outbox time. */
export const withdrawnPayload = (why: Withdrawn): string => JSON.stringify({ withdrawn: why });

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

  /**
   * Withdraw the records of `streams` older than `before` (ms) that the district has not confirmed:
   * older by when they were queued or by any time of the record they copy (its time or its day: an
   * absence re-recorded today is of a day long ago). Returns how many per stream.
   */
  withdrawExpired(streams: readonly string[], before: number): Record<string, number> {
    // What the district confirmed has already left the outbox: every row here is unconfirmed.
    const stmt = this.#db.prepare<[string, string, number]>(
      `UPDATE outbox SET payload = ? WHERE stream = ? AND json_extract(payload, '$.withdrawn') IS NULL
         AND min(created_at, coalesce(json_extract(payload, '$.checkedAt'), created_at), coalesce(json_extract(payload, '$.raisedAt'), created_at),
                 coalesce(unixepoch(json_extract(payload, '$.day')) * 1000, created_at)) < ?`,
    );
    const out: Record<string, number> = {};
    for (const stream of streams) out[stream] = stmt.run(withdrawnPayload('expired'), stream, before).changes;
    return out;
  }

  /**
   * Withdraw every queued record of one student (by pseudonym): their checks and absences become
   * withdrawn records, and the outbreak signals waiting to go lose the pseudonym from their list.
   */
  withdrawStudent(pseudonym: string): number {
    const own = this.withdrawOwn(pseudonym, 'erased');
    const listed = this.#db
      .prepare<[string, string]>(
        `UPDATE outbox SET payload = json_set(payload, '$.pseudonyms',
           json((SELECT json_group_array(value) FROM json_each(outbox.payload, '$.pseudonyms') WHERE value <> ?)))
         WHERE stream = 'health-alerts' AND EXISTS (SELECT 1 FROM json_each(outbox.payload, '$.pseudonyms') WHERE value = ?)`,
      )
      .run(pseudonym, pseudonym).changes;
    return own + listed;
  }

  /** Withdraw the student's own queued checks and absences (not the class-level signals naming them). */
  withdrawOwn(pseudonym: string, why: Withdrawn): number {
    return this.#db
      .prepare<[string, string]>(
        `UPDATE outbox SET payload = ? WHERE stream IN ('health-checks', 'absences') AND json_extract(payload, '$.pseudonym') = ?`,
      )
      .run(withdrawnPayload(why), pseudonym).changes;
  }

  /** Queue a record on a stream the database does not fill by trigger (erasures), with its next number. */
  enqueue(stream: string, payload: string, at = Date.now()): number {
    const next = this.#db
      .prepare<[string], { next: number }>(
        'UPDATE sync_seq SET next = next + 1 WHERE stream = ? RETURNING next - 1 AS next',
      )
      .get(stream)?.next;
    if (next === undefined) throw new Error(`no outbox stream '${stream}'`);
    this.#db
      .prepare('INSERT INTO outbox (stream, seq, created_at, payload) VALUES (?, ?, ?, ?)')
      .run(stream, next, at, payload);
    return next;
  }

  /** Move a stream's next number to at least `next` (after a restore, past what the district holds). */
  advanceNext(stream: string, next: number): void {
    this.#db.prepare('UPDATE sync_seq SET next = max(next, ?) WHERE stream = ?').run(next, stream);
  }
}
