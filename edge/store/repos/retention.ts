import type { Db } from '../db.js';
import type { DataClass } from '../data-classes.js';

/** Deletion of expired rows, as each data class declares them. */
export class RetentionRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Delete the class's rows older than `before` (ms) that meet its purge condition; returns how
   * many. Table, column and condition come from the declarations in data-classes.ts, never from input.
   */
  purge(dc: Pick<DataClass, 'table' | 'timeColumn' | 'purgeCondition'>, before: number): number {
    if (dc.timeColumn === undefined) return 0;
    const cond = dc.purgeCondition ? ` AND ${dc.purgeCondition}` : '';
    return this.#db.prepare(`DELETE FROM ${dc.table} WHERE ${dc.timeColumn} < ?${cond}`).run(before).changes;
  }

  /**
   * Move the write-ahead log into the database file and empty it: deleted rows live on in the WAL's
   * older page images until then. With `secure_delete` on (db.ts) the freed space in the file is
   * zeroed, so once this ran nothing deleted is left on disk. A reader holding an old snapshot keeps
   * the WAL from emptying; returns false then (the next run tries again).
   */
  checkpoint(): boolean {
    const r = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r[0]?.busy === 0;
  }
}
