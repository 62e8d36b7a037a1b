import type { Db } from '../db.js';

/**
 * The appliance's own small facts, one value per key:
 * - `pseudonym-key`: the HMAC key of student pseudonyms (base64), made once;
 * - `enrolled`: the district URL once enrolled (retention keeps unsent readings until then);
 * - `standalone`: when the box was provisioned to run without a district for now (ISO time;
 *   `classedge provision --standalone`); a later provisioning run keeps the choice, and an
 *   enrolment (`classedge enrol`, or provisioning with a district) removes it;
 * - `config-version`: the district configuration version last applied;
 * - `config-refused`: the district publication last refused ("version signature"), refused once;
 * - `update-floor`: the highest version ever proven healthy here ("installed at least"); kept in the
 *   database so that it travels in backups and a restored box still refuses older bundles.
 * - `sync-answers-refused`, `sync-answer-refused-last`: district answers the sync agent refused as
 *   unsigned or not verifying (a count), and the last one's time and reason (JSON).
 * - `store-recovered`: the database was found damaged at a start and this one started fresh (JSON
 *   `Recovery` of edge/store/integrity.ts: when, the aside file, the damage, what was salvaged);
 * - `stream-rebase-pending`: set with it; the sync agent numbers this database's records after the
 *   district's positions at its next round (edge/store/repos/stream-rebase.ts), then clears it.
 */
export type MetaKey =
  | 'pseudonym-key'
  | 'enrolled'
  | 'standalone'
  | 'config-version'
  | 'config-refused'
  | 'update-floor'
  | 'sync-answers-refused'
  | 'sync-answer-refused-last'
  | 'store-recovered'
  | 'stream-rebase-pending'
  /** The daily health report times of one day already sent to the district: `<day> <HH:MM>...`. */
  | 'health-day-reported'
  /** The lessons of one day whose environment summary went to the district: `<day> <lessons ended>`. */
  | 'env-day-reported';

export class MetaRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  get(key: MetaKey): string | undefined {
    return this.#db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  }

  delete(key: MetaKey): void {
    this.#db.prepare('DELETE FROM meta WHERE key = ?').run(key);
  }

  set(key: MetaKey, value: string): void {
    this.#db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }
}
