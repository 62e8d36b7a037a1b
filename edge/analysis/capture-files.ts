import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';

/** Where diagnostic captures are written: one folder per capture, named by its start time. */
export const captureRoot = (dataDir: string): string => join(dataDir, 'diagnostic');

/** A capture folder's start (ms), from its name (`2026-12-03T08-15-00-000Z`), else its modification time. */
function startedAt(dir: string, name: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(name);
  const t = m ? Date.parse(`${m[1]}:${m[2]}:${m[3]}.${m[4]}Z`) : NaN;
  return Number.isNaN(t) ? statSync(dir).mtimeMs : t;
}

/**
 * Delete the diagnostic captures past their retention, for the retention job (which runs whether or
 * not an analyser is configured, so a capture outlives neither the analyser's removal nor a crash):
 * a capture that ended is kept `keepHours` after its end; one without an end (the process died while
 * it ran) is kept `keepHours` after the latest it could have ended (`maxMinutes` after its start).
 * Returns how many were removed.
 */
export function purgeCaptures(config: Pick<Config, 'dataDir' | 'analysis'>, now = Date.now()): number {
  const root = captureRoot(config.dataDir);
  const { keepHours, maxMinutes } = config.analysis.diagnosticCapture;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const dir = join(root, name);
    let end: number;
    try {
      end = Number(readFileSync(join(dir, 'ended'), 'utf8'));
      if (!Number.isFinite(end)) throw new Error('unreadable end');
    } catch {
      end = startedAt(dir, name) + maxMinutes * 60_000;
    }
    if (now - end >= keepHours * 3_600_000) {
      rmSync(dir, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
