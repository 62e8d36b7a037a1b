import { createHash } from 'node:crypto';
import type { Db } from '../db.js';

export type AuditResult = 'ok' | 'denied' | 'error';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  result: AuditResult;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'detail'>> {
  id: number;
  ts: number;
  detail: Record<string, unknown>;
  hash: string;
}

interface Row {
  id: number;
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

function chainHash(prev: string, r: Pick<Row, 'ts' | 'actor' | 'action' | 'target' | 'result' | 'detail'>): string {
  return createHash('sha256')
    .update(JSON.stringify([prev, r.ts, r.actor, r.action, r.target, r.result, r.detail]))
    .digest('hex');
}

/**
 * The security audit log. Rows form a hash chain, so an edit made with a SQLite shell outside
 * the appliance shows up in `verify()` (the triggers stop edits made through SQL here).
 */
export class AuditRepo {
  readonly #db: Db;
  readonly #insert;
  readonly #last;
  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare<[number, string, string, string, string, string, string, string]>(
      'INSERT INTO audit_log (ts, actor, action, target, result, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#last = db.prepare<[], { hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
  }

  record(entry: AuditEntry, now = Date.now()): void {
    const r = {
      ts: now,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? '',
      result: entry.result,
      detail: JSON.stringify(entry.detail ?? {}),
    };
    // Immediate transaction: the CLI and the appliance may both append; the chain must not fork.
    this.#db
      .transaction(() => {
        const prev = this.#last.get()?.hash ?? GENESIS;
        this.#insert.run(r.ts, r.actor, r.action, r.target, r.result, r.detail, prev, chainHash(prev, r));
      })
      .immediate();
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

  /** Walk the chain; returns the id of the first row that does not match, or undefined. */
  verify(): { ok: true; rows: number } | { ok: false; brokenAt: number } {
    let prev: string | undefined;
    let rows = 0;
    for (const r of this.#db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY id').iterate()) {
      // The first surviving row may follow rows removed by retention: trust its prev_hash.
      if (prev !== undefined && r.prev_hash !== prev) return { ok: false, brokenAt: r.id };
      if (chainHash(r.prev_hash, r) !== r.hash) return { ok: false, brokenAt: r.id };
      prev = r.hash;
      rows++;
    }
    return { ok: true, rows };
  }
}
