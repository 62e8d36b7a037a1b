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
}
