import Database from 'better-sqlite3';
import { join } from 'node:path';
import { DB_FILE } from '../../edge/store/db.js';

/**
 * The appliance's database opened beside it, as someone with a SQLite shell would: the appliance
 * reaches it only through its repositories, so a test that checks what was stored, or plays an edit
 * made behind the appliance's back (a trigger, a clock set back), uses its own connection.
 * Read-only unless `write` is asked for; closed when `fn` returns.
 */
export function withDbFile<T>(dataDir: string, fn: (db: Database.Database) => T, opts: { write?: boolean } = {}): T {
  const db = new Database(join(dataDir, DB_FILE), { readonly: !opts.write, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}
