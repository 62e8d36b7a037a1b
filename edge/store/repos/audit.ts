import { createHash } from 'node:crypto';
import type { Db } from '../db.js';
import type { AuditAction } from '../../audit-actions.js';

export type AuditResult = 'ok' | 'denied' | 'error';

export interface AuditEntry {
  actor: string;
  /** One of the known actions: the admin console names each in words (edge/audit-actions.ts). */
  action: AuditAction;
  target?: string;
  result: AuditResult;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'detail' | 'action'>> {
  /** As stored: records of older versions may carry an action no longer in the list. */
  action: string;
  id: number;
  ts: number;
  detail: Record<string, unknown>;
  hash: string;
}

/** What `verify()` found: the chain is whole, or the first record where it is not and why. */
export type AuditVerdict =
  { ok: true; rows: number } | { ok: false; brokenAt: number; problem: 'altered' | 'deleted'; detail: string };

interface Row {
  id: number;
  seq: number | null;
  ts: number;
  actor: string;
  action: string;
  target: string;
  result: AuditResult;
  detail: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);
/** The action of the record a retention purge leaves: which numbers it removed, and the last one's hash. */
export const AUDIT_PRUNED = 'audit.pruned' satisfies AuditAction;

type Hashed = Pick<Row, 'seq' | 'ts' | 'actor' | 'action' | 'target' | 'result' | 'detail'>;

/** Records made before numbering (seq NULL) keep their original hash; numbered ones hash their number too. */
function chainHash(prev: string, r: Hashed): string {
  const fields =
    r.seq === null
      ? [prev, r.ts, r.actor, r.action, r.target, r.result, r.detail]
      : [prev, r.seq, r.ts, r.actor, r.action, r.target, r.result, r.detail];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** A record's number in the chain: its seq, or for a record from before numbering, its id. */
const numberOf = (r: Pick<Row, 'seq' | 'id'>): number => r.seq ?? r.id;

/**
 * The security audit log. Rows form a hash chain over numbered records, so `verify()` shows an edit
 * made with a SQLite shell outside the appliance (the triggers stop edits made through SQL here), a
 * record deleted from the middle (its number is missing), from the start (no purge record covers
 * it) or from the end (the head, written with every record, is ahead of the last one). A retention
 * purge removes a prefix of the chain and appends an `audit.pruned` record naming the last number
 * removed and its hash, so a legal purge still verifies. The chain has no key: whoever can rewrite
 * the whole file can rewrite the whole chain; it catches partial edits and deletions.
 */
export class AuditRepo {
  readonly #db: Db;
  readonly #insert;
  readonly #head;
  readonly #setHead;
  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare<[number, number, string, string, string, string, string, string, string]>(
      'INSERT INTO audit_log (seq, ts, actor, action, target, result, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.#setHead = db.prepare<[number, string]>(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
    );
  }

  record(entry: AuditEntry, now = Date.now()): void {
    // Immediate transaction: the CLI and the appliance may both append; the chain must not fork.
    this.#db.transaction(() => this.#append(entry, now)).immediate();
  }

  #append(entry: AuditEntry, now: number): void {
    const head = this.#head.get();
    const prev = head?.hash ?? GENESIS;
    const r = {
      seq: (head?.seq ?? 0) + 1,
      ts: now,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? '',
      result: entry.result,
      detail: JSON.stringify(entry.detail ?? {}),
    };
    const hash = chainHash(prev, r);
    this.#insert.run(r.seq, r.ts, r.actor, r.action, r.target, r.result, r.detail, prev, hash);
    this.#setHead.run(r.seq, hash);
  }

  list(opts: { limit: number; beforeId?: number; action?: string }): AuditRecord[] {
    const rows = this.#db
      .prepare<[number, string | null, string | null, number], Row>(
        `SELECT * FROM audit_log WHERE id < ? AND (? IS NULL OR action = ?) ORDER BY id DESC LIMIT ?`,
      )
      .all(opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.action ?? null, opts.action ?? null, opts.limit);
    return rows.map((r) => ({
      id: r.id,
      ts: r.ts,
      actor: r.actor,
      action: r.action,
      target: r.target,
      result: r.result,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
      hash: r.hash,
    }));
  }

  /** The time of the newest record (by its place in the chain, not by its time), if any. */
  newestTs(): number | undefined {
    return this.#db.prepare<[], { ts: number }>('SELECT ts FROM audit_log ORDER BY id DESC LIMIT 1').get()?.ts;
  }

  /**
   * Retention: delete the longest start of the chain whose records are all older than `before`
   * (and older than the 180 days the delete trigger guards), then append the `audit.pruned` record
   * that lets `verify()` accept the gap. A record stamped later, then earlier again (the clock was
   * set back), ends the deleted start: the chain loses no record from its middle. Returns how many.
   */
  prune(before: number, now = Date.now()): number {
    return this.#db
      .transaction(() => {
        const keepFrom = this.#db
          .prepare<[number], { n: number | null }>(
            "SELECT min(coalesce(seq, id)) AS n FROM audit_log WHERE ts >= ? OR ts > unixepoch('now', '-180 days') * 1000",
          )
          .get(before)?.n;
        const through =
          keepFrom !== null && keepFrom !== undefined
            ? keepFrom - 1
            : (this.#db.prepare<[], { n: number | null }>('SELECT max(coalesce(seq, id)) AS n FROM audit_log').get()
                ?.n ?? 0);
        const last = this.#db
          .prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE coalesce(seq, id) = ?')
          .get(through);
        if (!last) return 0;
        const deleted = this.#db.prepare('DELETE FROM audit_log WHERE coalesce(seq, id) <= ?').run(through).changes;
        if (deleted > 0)
          this.#append(
            {
              actor: 'system',
              action: AUDIT_PRUNED,
              result: 'ok',
              detail: { throughSeq: through, throughHash: last.hash, deleted, before },
            },
            now,
          );
        return deleted;
      })
      .immediate();
  }

  /** Walk the chain: every record unaltered, numbered one after the other, and the last one the head. */
  verify(): AuditVerdict {
    let prev: Row | undefined;
    let first: Row | undefined;
    let rows = 0;
    const anchors = new Map<number, string>();
    for (const r of this.#db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY id').iterate()) {
      if (chainHash(r.prev_hash, r) !== r.hash)
        return { ok: false, brokenAt: r.id, problem: 'altered', detail: `record ${r.id} was altered` };
      if (prev === undefined) first = r;
      else if (numberOf(r) !== numberOf(prev) + 1)
        return {
          ok: false,
          brokenAt: r.id,
          problem: 'deleted',
          detail: `records ${numberOf(prev) + 1}..${numberOf(r) - 1} are missing before record ${r.id}`,
        };
      else if (r.prev_hash !== prev.hash)
        return {
          ok: false,
          brokenAt: r.id,
          problem: 'altered',
          detail: `record ${r.id} does not follow record ${prev.id}`,
        };
      if (r.action === AUDIT_PRUNED) {
        const d = JSON.parse(r.detail) as { throughSeq?: unknown; throughHash?: unknown };
        if (typeof d.throughSeq === 'number' && typeof d.throughHash === 'string')
          anchors.set(d.throughSeq, d.throughHash);
      }
      prev = r;
      rows++;
    }
    if (first) {
      const n = numberOf(first);
      const genesis = n === 1 && first.prev_hash === GENESIS;
      // Records from before numbering may have been purged without a purge record: trust their start.
      if (!genesis && first.seq !== null && anchors.get(n - 1) !== first.prev_hash)
        return {
          ok: false,
          brokenAt: first.id,
          problem: 'deleted',
          detail: `records before number ${n} are missing and no retention purge record covers them`,
        };
    }
    const head = this.#head.get();
    if (head && (prev === undefined || numberOf(prev) !== head.seq || prev.hash !== head.hash)) {
      const last = prev ? numberOf(prev) : 0;
      return {
        ok: false,
        brokenAt: prev?.id ?? 0,
        problem: head.seq > last ? 'deleted' : 'altered',
        detail:
          head.seq > last
            ? `the newest records ${last + 1}..${head.seq} are missing`
            : `the last record (${last}) is not the one the chain's head names (${head.seq})`,
      };
    }
    return { ok: true, rows };
  }
}
