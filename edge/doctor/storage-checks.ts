import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { measureDisk } from '../runtime/disk-guard.js';
import { corruptAsideFiles, type Recovery } from '../store/integrity.js';
import type { CheckResult } from './checks.js';

const MB = 1024 * 1024;

/**
 * The data directory's disk against the disk guard's thresholds (disk.*), counting the free pages
 * inside the database as the guard does, and what the guard last deleted to make room.
 */
export function diskCheck(config: Config, store?: Store): CheckResult {
  const { free, total, level } = measureDisk(config, store ? store.disk.freeBytesInside() : 0);
  const last = store?.audit.list({ limit: 1, action: 'disk.shed' })[0];
  const unsynced = store ? store.disk.unsyncedReadings() : 0;
  const shed = last
    ? `; last deletion for space ${new Date(last.ts).toISOString()}: ${String(last.detail.rows ?? last.detail.files ?? '?')} ${last.detail.rows !== undefined ? 'rows' : 'files'} of ${last.target}`
    : '';
  const detail = `${Math.round(free / MB)} MB free of ${Math.round(total / MB)} MB on the data directory's disk (${level}; low below ${config.disk.lowFreeMb} MB or ${config.disk.lowFreePercent} %, critical below ${config.disk.criticalFreeMb} MB or ${config.disk.criticalFreePercent} %)${unsynced > 0 ? `; ${unsynced} readings not yet at the district` : ''}${shed}`;
  if (level === 'ok') return { name: 'disk', status: 'ok', detail };
  return {
    name: 'disk',
    status: level === 'critical' ? 'fail' : 'warn',
    detail,
    fix:
      level === 'critical'
        ? 'the appliance has deleted what it may; free space now (du -xsh /var/lib/classedge/* /var/log), let the district sync run (classedge sync now), or replace the card with a larger one'
        : 'the appliance deletes old captures, rollups and synced readings by itself; to keep more, free space on the disk or lower retention.readingsDays',
  };
}

/** A start on a fresh database after damage, and the damaged copies kept aside in the data directory. */
export function recoveryCheck(config: Config, store?: Store): CheckResult {
  const aside = corruptAsideFiles(config.dataDir);
  const raw = store?.meta.get('store-recovered');
  let rec: Recovery | undefined;
  try {
    rec = raw ? (JSON.parse(raw) as Recovery) : undefined;
  } catch {
    rec = undefined;
  }
  if (!rec && aside.length === 0)
    return { name: 'db-recovery', status: 'ok', detail: 'no damaged database was found at a start' };
  const what = rec
    ? `the database was found damaged at the start of ${new Date(rec.at).toISOString()} (${rec.problem}) and moved aside to ${rec.movedTo}; the appliance started on a fresh one (copied back: ${
        Object.entries(rec.salvaged)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ') || 'nothing'
      }${rec.notSalvaged.length ? `; not readable: ${rec.notSalvaged.join(', ')}` : ''}). Readings, health checks and lessons not yet at the district are lost; what was synced is still there`
    : 'damaged database copies are in the data directory';
  return {
    name: 'db-recovery',
    status: 'warn',
    detail: `${what}. Aside: ${aside.join(', ') || 'none left'}`,
    fix: 'check the card (dmesg for I/O errors); re-add accounts and devices that were not copied back; keep the aside file for the district engineer, or delete it once it is not needed (the appliance deletes it itself when the disk runs low)',
  };
}
