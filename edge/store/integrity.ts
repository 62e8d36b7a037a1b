import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassEdgeError, errorMessage } from '../errors.js';
import { DB_FILE, type Db } from './db.js';

/** The name a corrupt database is moved aside to: `classedge.db.corrupt-20261203T081500Z` (its -wal/-shm beside it). */
export const CORRUPT_ASIDE = /^classedge\.db\.corrupt-(\d{8}T\d{6}Z)(?:-\d+)?$/;

/**
 * Aside files beyond this many mean the storage itself fails (a database corrupt again and again):
 * the appliance refuses to start rather than move a fresh database aside at every start.
 */
export const MAX_CORRUPT_ASIDE = 3;

/** What the start found and did when the database failed its check. */
export interface Recovery {
  at: number;
  /** The aside file, in the data directory. */
  movedTo: string;
  /** SQLite's words for the damage (the first lines of quick_check, or the error that stopped it). */
  problem: string;
  /** Small tables copied from the damaged file into the fresh one, and those that could not be. */
  salvaged: Record<string, number>;
  notSalvaged: string[];
}

export interface IntegrityResult {
  /** How long the check took (ms): docs/disk-full-and-corruption.md has the figure for a semester's database. */
  checkMs: number;
  /** `full` after a stop that was not clean (power cut, kill, crash), `bounded` after a clean one. */
  scope: CheckScope;
  recovery?: Recovery;
}

/** Errors SQLite gives for a damaged file, as opposed to one it cannot reach (permissions, lock). */
const DAMAGE = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE']);

function isDamage(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && DAMAGE.has(code);
}

export type CheckScope = 'full' | 'bounded';

/**
 * Written by the appliance when it closed the database cleanly, removed by the next start before it
 * opens anything: its absence means the last run ended by a power cut, a kill or a crash.
 */
const CLEAN_STOP = '.clean-stop';

export function markCleanStop(dataDir: string): void {
  try {
    writeFileSync(join(dataDir, CLEAN_STOP), `${new Date().toISOString()}\n`);
  } catch {
    // A full or read-only disk at the stop: without the mark the next start checks the whole file.
  }
}

/** Whether the last run stopped cleanly; removes the mark, so that this run's own end decides the next check. */
function takeCleanStop(dataDir: string): boolean {
  const f = join(dataDir, CLEAN_STOP);
  if (!existsSync(f)) return false;
  rmSync(f, { force: true });
  return true;
}

/**
 * The tables every start reads or writes at once (identity, accounts, devices, stream positions, the
 * audit chain's head, the clock state, the rollup watermark): the bounded check covers them.
 */
const START_TABLES = [
  'meta',
  'users',
  'devices',
  'sync_state',
  'sync_seq',
  'audit_head',
  'clock_state',
  'rollup_watermark',
] as const;

/**
 * Check the database with SQLite's `quick_check` before the appliance opens it. quick_check reads
 * every page and checks the b-trees but not that each index matches its table (integrity_check's
 * extra work, about six times slower); a page torn by a power cut or a failing card shows either way.
 * `full` checks every table (seconds per GB: docs/disk-full-and-corruption.md); `bounded` only the
 * tables a start needs and the newest readings page, in milliseconds.
 * Returns undefined when the file is sound (or absent), else SQLite's words for the damage.
 */
export function checkFile(file: string, scope: CheckScope = 'full'): string | undefined {
  if (!existsSync(file)) return undefined;
  let db: Db | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const pragmas =
      scope === 'full'
        ? ['quick_check(10)']
        : START_TABLES.filter((t) => present.has(t)).map((t) => `quick_check(${t})`);
    const lines: string[] = [];
    for (const p of pragmas)
      for (const r of db.pragma(p) as { quick_check: string }[]) if (r.quick_check !== 'ok') lines.push(r.quick_check);
    // The page the next reading goes after: a damaged one would fail the first commit.
    if (scope === 'bounded' && present.has('readings')) db.prepare('SELECT max(id) FROM readings').get();
    return lines.length === 0 ? undefined : lines.join('; ');
  } catch (err) {
    if (isDamage(err)) return errorMessage(err);
    throw err;
  } finally {
    try {
      db?.close();
    } catch {
      // A damaged file may refuse even to close cleanly; it is moved aside next.
    }
  }
}

const stamp = (at: number): string =>
  new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

export function corruptAsideFiles(dataDir: string): string[] {
  try {
    return readdirSync(dataDir)
      .filter((n) => CORRUPT_ASIDE.test(n))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Move the damaged database and its WAL and shared-memory files aside under one dated name, so that
 * SQLite finds them together if someone opens the aside copy to look. Throws a fatal error naming
 * what to do when they cannot be moved: starting on the damaged file would crash later, or loop.
 */
export function moveAside(dataDir: string, at: number): string {
  const base = `${DB_FILE}.corrupt-${stamp(at)}`;
  let name = base;
  for (let i = 1; existsSync(join(dataDir, name)); i++) name = `${base}-${i}`;
  const file = join(dataDir, DB_FILE);
  try {
    // The WAL first: a main file moved without it would be opened later with a fresh, empty WAL.
    for (const suffix of ['-wal', '-shm'])
      if (existsSync(file + suffix)) renameSync(file + suffix, join(dataDir, name + suffix));
    renameSync(file, join(dataDir, name));
  } catch (err) {
    throw new ClassEdgeError(
      'database_corrupt',
      `the database ${file} is damaged and could not be moved aside (${errorMessage(err)}); stop the appliance, move ${file} and its -wal and -shm files out of ${dataDir} by hand (or restore a backup: classedge restore), then start again`,
    );
  }
  return name;
}

/**
 * Tables small enough to copy from a damaged file and needed to keep the box usable: the accounts,
 * the registered devices (their secrets), the roster and the guardians' consent. Readings, health
 * checks and the audit log are not copied: what the district confirmed it still holds, and the
 * audit chain cannot continue from a damaged copy (the aside file is the evidence).
 * Order matters: students refer to classes, consent to students.
 */
const SALVAGE = ['users', 'devices', 'classes', 'students', 'guardian_consent'] as const;

/** Copy what can be read of `SALVAGE` from the aside file into the fresh, migrated database. */
export function salvage(fresh: Db, asideFile: string): { salvaged: Record<string, number>; notSalvaged: string[] } {
  const salvaged: Record<string, number> = {};
  const notSalvaged: string[] = [];
  try {
    fresh.prepare('ATTACH DATABASE ? AS damaged').run(asideFile);
  } catch {
    return { salvaged, notSalvaged: [...SALVAGE] };
  }
  try {
    let sameSchema = false;
    try {
      const old = fresh.pragma('damaged.user_version', { simple: true });
      sameSchema = old === fresh.pragma('main.user_version', { simple: true });
    } catch {
      sameSchema = false;
    }
    for (const table of SALVAGE) {
      if (!sameSchema) {
        notSalvaged.push(table);
        continue;
      }
      try {
        // All or nothing per table: a table whose pages are damaged half-way is not half copied.
        salvaged[table] = fresh.transaction(
          () => fresh.prepare(`INSERT OR IGNORE INTO main.${table} SELECT * FROM damaged.${table}`).run().changes,
        )();
      } catch {
        notSalvaged.push(table);
      }
    }
  } finally {
    try {
      fresh.exec('DETACH DATABASE damaged');
    } catch {
      // Detaching fails only while a statement on it is open; none is.
    }
  }
  return { salvaged, notSalvaged };
}

/**
 * A database that cannot even be opened to be checked. The usual cause on a classroom box is a file
 * system the kernel remounted read-only after I/O errors on a failing card: say so, not only SQLite's
 * "unable to open database file".
 */
function unreachable(dataDir: string, err: unknown): Error {
  // access(2) answers EROFS for a read-only file system, even to root.
  let writable = true;
  try {
    accessSync(dataDir, constants.W_OK);
  } catch {
    writable = false;
  }
  if (writable) return err instanceof Error ? err : new Error(String(err));
  return new ClassEdgeError(
    'database_unreachable',
    `the database ${join(dataDir, DB_FILE)} cannot be opened to be checked (${errorMessage(err)}): the data directory is not writable, or its file system is read-only (the kernel remounts a card with I/O errors read-only: dmesg says so). It cannot be checked or moved aside; replace the card and restore the last backup (classedge restore), or fix the permissions of ${dataDir}`,
    { cause: err },
  );
}

/**
 * The start's check: a damaged database is moved aside and the caller opens a fresh one (then calls
 * `salvage`). A start after that finds the fresh database sound and does nothing, so a damaged file
 * never makes the appliance restart in a loop; only a storage that damages database after database
 * (more than `MAX_CORRUPT_ASIDE` aside files) stops the start, with what to do.
 */
export function checkAtStart(dataDir: string, now = Date.now()): IntegrityResult & { asideFile?: string } {
  const scope: CheckScope = takeCleanStop(dataDir) ? 'bounded' : 'full';
  const t0 = performance.now();
  let problem: string | undefined;
  try {
    problem = checkFile(join(dataDir, DB_FILE), scope);
  } catch (err) {
    throw unreachable(dataDir, err);
  }
  const checkMs = performance.now() - t0;
  if (problem === undefined) return { checkMs, scope };
  const earlier = corruptAsideFiles(dataDir);
  if (earlier.length >= MAX_CORRUPT_ASIDE)
    throw new ClassEdgeError(
      'database_corrupt',
      `the database in ${dataDir} is damaged (${problem}) and ${earlier.length} damaged databases were already moved aside there (${earlier.join(', ')}): the SD card or eMMC is probably failing. Replace it and restore the last backup (classedge restore), or remove the old aside files once they are no longer needed and start again`,
    );
  const movedTo = moveAside(dataDir, now);
  return {
    checkMs,
    scope,
    asideFile: join(dataDir, movedTo),
    recovery: { at: now, movedTo, problem, salvaged: {}, notSalvaged: [] },
  };
}
