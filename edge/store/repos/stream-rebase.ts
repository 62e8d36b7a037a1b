import type { Db } from '../db.js';

/**
 * Renumbering after a fresh start. A database that replaced a damaged one numbers its district
 * streams from 1, but the district already holds numbers up to its committed position: records
 * numbered at or below it would be taken as already sent (the outbox drops them, the readings
 * stream skips them) and never reach the district. While `stream-rebase-pending` is set, the sync
 * agent asks the district where each stream stands before sending anything, and this moves every
 * record this database has not had confirmed to just after that position, keeping their order and
 * leaving no gap (the district refuses a batch that skips a number). It is the same rule as a
 * restore's (edge/backup/backup.ts): new numbers start after what the district holds.
 */
export class StreamRebaseRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  markPending(): void {
    this.#db
      .prepare("INSERT INTO meta (key, value) VALUES ('stream-rebase-pending', '1') ON CONFLICT (key) DO NOTHING")
      .run();
  }

  pending(): boolean {
    return this.#db.prepare("SELECT 1 FROM meta WHERE key = 'stream-rebase-pending'").get() !== undefined;
  }

  /**
   * Move each stream's unconfirmed records to start right after the district's position, and clear
   * the pending mark; one transaction. Returns how far each stream moved (streams that did not move
   * are left out).
   */
  rebase(positions: ReadonlyMap<string, number>): Record<string, number> {
    const db = this.#db;
    const confirmedOf = db.prepare<[string], { c: number }>(
      'SELECT coalesce((SELECT confirmed_seq FROM sync_state WHERE stream = ?), 0) AS c',
    );
    // Through negative numbers: shifting in place would meet a number still taken half-way.
    const readingsNeg = db.prepare<[number]>('UPDATE readings SET id = -id WHERE id > ?');
    const readingsPos = db.prepare<[number]>('UPDATE readings SET id = -id + ? WHERE id < 0');
    const outboxNeg = db.prepare<[string, number]>('UPDATE outbox SET seq = -seq WHERE stream = ? AND seq > ?');
    const outboxPos = db.prepare<[number, string]>('UPDATE outbox SET seq = -seq + ? WHERE stream = ? AND seq < 0');
    const heldNeg = db.prepare<[string, number]>('UPDATE sync_quarantine SET seq = -seq WHERE stream = ? AND seq > ?');
    const heldPos = db.prepare<[number, string]>(
      'UPDATE sync_quarantine SET seq = -seq + ? WHERE stream = ? AND seq < 0',
    );
    const next = db.prepare<[number, string]>('UPDATE sync_seq SET next = next + ? WHERE stream = ?');
    const clear = db.prepare("DELETE FROM meta WHERE key = 'stream-rebase-pending'");
    return db
      .transaction(() => {
        const moved: Record<string, number> = {};
        for (const [stream, position] of positions) {
          const confirmed = confirmedOf.get(stream)?.c ?? 0;
          const offset = position - confirmed;
          if (offset <= 0) continue;
          if (stream === 'readings') {
            readingsNeg.run(confirmed);
            readingsPos.run(offset);
          } else {
            outboxNeg.run(stream, confirmed);
            outboxPos.run(offset, stream);
            next.run(offset, stream);
          }
          heldNeg.run(stream, confirmed);
          heldPos.run(offset, stream);
          moved[stream] = offset;
        }
        clear.run();
        return moved;
      })
      .immediate();
  }
}
