import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { dataClasses } from '../store/data-classes.js';

/**
 * Whole-database copies kept in the data directory: `pre-update-<v>.db` (the updater's rollback
 * copy) and the plain staging directories of a backup or restore that was killed before it could
 * remove them (`.backup-*`, `.restore-*`). Each holds every data class, students' health records
 * included, so none may outlive the shortest retention of what it holds, or retention on the live
 * database would be undone by a file beside it.
 */
export const PRE_UPDATE = /^pre-update-(.+)\.db(\.tmp)?$/;
/** SQLite's companions of a copy (left when a copy in WAL mode was opened read-only). */
const COMPANION = /^(pre-update-.+\.db)-(wal|shm|journal)$/;
const STAGING = /^\.(backup|restore)-/;
/** A staging directory older than this belongs to a backup or restore that died. */
const STAGING_MAX_AGE_MS = 24 * 3_600_000;

/** Days the shortest-lived data class in a whole-database copy is kept. */
export function copyRetentionDays(config: Config): number {
  const days = dataClasses.map((d) => d.retentionDays(config)).filter((d): d is number => d !== undefined);
  return Math.min(...days);
}

export interface CopyPurge {
  /** File or directory names removed. */
  removed: string[];
}

/**
 * Keep the newest `config.update.keepPreUpdateCopies` pre-update copies that are younger than
 * copyRetentionDays; remove the rest, and staging directories left by a dead backup or restore.
 * At least one copy is kept (the setting's minimum): the one an update on trial may roll back to.
 */
export function purgeDatabaseCopies(config: Config, now = Date.now()): CopyPurge {
  const dir = config.dataDir;
  const maxAgeMs = copyRetentionDays(config) * 86_400_000;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { removed: [] };
  }
  const aged = (name: string): { name: string; mtime: number } | undefined => {
    try {
      return { name, mtime: statSync(join(dir, name)).mtimeMs };
    } catch {
      return undefined;
    }
  };
  const copies = names
    .filter((n) => PRE_UPDATE.test(n))
    .map(aged)
    .filter((c) => c !== undefined)
    .sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  let kept = 0;
  for (const c of copies) {
    const tmp = c.name.endsWith('.tmp');
    const young = now - c.mtime < maxAgeMs;
    if (!tmp && young && kept < config.update.keepPreUpdateCopies) {
      kept++;
      continue;
    }
    // A .tmp is a copy the updater was writing when it died (the service is stopped while it
    // writes one, so no retention run meets a live one); the next update writes a fresh one.
    rmSync(join(dir, c.name), { force: true, recursive: true });
    removed.push(c.name);
  }
  // A companion goes with its copy (and one whose copy is gone already goes too).
  for (const n of names) {
    const m = COMPANION.exec(n);
    if (m?.[1] !== undefined && (removed.includes(m[1]) || !names.includes(m[1]))) {
      rmSync(join(dir, n), { force: true });
      removed.push(n);
    }
  }
  for (const s of names.filter((n) => STAGING.test(n)).map(aged)) {
    if (s && now - s.mtime >= STAGING_MAX_AGE_MS) {
      rmSync(join(dir, s.name), { force: true, recursive: true });
      removed.push(s.name);
    }
  }
  return { removed };
}
