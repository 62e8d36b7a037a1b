import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from './migrations.js';
import { ClassEdgeError } from '../errors.js';

export type Db = Database.Database;

export interface OpenOptions {
  dataDir: string;
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

export const DB_FILE = 'classedge.db';

/**
 * Open the appliance database in WAL mode and bring its schema up to date.
 * WAL lets the CLI read and write while the appliance runs; `synchronous=FULL` makes every
 * committed transaction survive a power cut, which is what "acknowledged" promises.
 */
export function openDb(opts: OpenOptions): Db {
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o750 });
  const db = new Database(join(opts.dataDir, DB_FILE), { readonly: opts.readonly ?? false });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten with zeros, not left in free pages: health records past their
  // retention and an erased student must not be recoverable from the file (privacy-security.md).
  db.pragma('secure_delete = ON');
  if (!opts.readonly) migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The schema version of a database file, read without changing it (the updater compares two). */
export function schemaVersionOfFile(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

/**
 * Work on a database file without migrating it: the updater reads and writes a few meta values in a
 * database that a newer (or older) version may own.
 */
export function withDbFile<T>(file: string, fn: (db: Db) => T, readonly = false): T {
  const db = new Database(file, { readonly, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** SQLite's online backup of a database file into `dest`, safe while another process writes it. */
export async function backupFile(file: string, dest: string): Promise<void> {
  const db = new Database(file, { fileMustExist: true });
  try {
    await db.backup(dest);
  } finally {
    db.close();
  }
}

export function migrate(db: Db): number {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new ClassEdgeError(
      'schema_too_new',
      `database schema version ${current} is newer than this software knows (${latest}); install the newer version or restore a backup`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}
