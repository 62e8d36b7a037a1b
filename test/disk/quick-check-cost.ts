/**
 * How long the start's integrity check takes on a database of a semester's size (docs/disk-full-and-corruption.md):
 * `node dist/test/disk/quick-check-cost.js [days]` builds readings and minute rollups for a realistic
 * classroom (30 sensors, one reading each per 10 s, around the clock) over `days` (default 90, the
 * default retention of readings), then times quick_check and integrity_check on it (a fresh
 * connection each), the start's full check and the bounded check after a clean stop.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { tempDir } from '../helpers/env.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { checkAtStart, checkFile } from '../../edge/store/integrity.js';

const days = Number(process.argv[2] ?? 90);
const dir = tempDir('classedge-qc-');
try {
  const config = parseConfig(`dataDir: ${JSON.stringify(dir.path)}\n`, join(dir.path, 'config.yaml'));
  Store.open(config).close();
  const file = join(dir.path, 'classedge.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const perDay = 30 * 8640;
  const t0 = Date.parse('2026-09-01T00:00:00Z');
  const fill = db.prepare(`INSERT INTO readings (id, device_id, metric, value, ts, received_at)
    WITH RECURSIVE n(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    SELECT i, 'sensor-' || (i % 30), 'co2_ppm', 400 + (i % 500), ? + (i / 30) * 10000, ? + (i / 30) * 10000 FROM n`);
  const roll = db.prepare(`INSERT INTO readings_1m (device_id, metric, minute, n, sum, min, max)
    WITH RECURSIVE n(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    SELECT 'sensor-' || (i % 30), 'co2_ppm', ? + i / 30, 6, 2400, 390, 410 FROM n`);
  const build0 = performance.now();
  for (let d = 0; d < days; d++) {
    db.transaction(() => {
      fill.run(d * perDay + 1, (d + 1) * perDay, BigInt(t0), BigInt(t0));
      roll.run(d * 30 * 1440, (d + 1) * 30 * 1440 - 1, BigInt(Math.floor(t0 / 60000)));
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const buildS = (performance.now() - build0) / 1000;
  const size = statSync(file).size;
  const time = (pragma: string): number => {
    const c = new Database(file, { readonly: true });
    const s = performance.now();
    const r = c.pragma(pragma, { simple: true });
    const ms = performance.now() - s;
    c.close();
    if (r !== 'ok') throw new Error(`${pragma}: ${String(r)}`);
    return ms;
  };
  const quick = time('quick_check');
  const start = checkAtStart(dir.path).checkMs;
  const b0 = performance.now();
  if (checkFile(file, 'bounded') !== undefined) throw new Error('bounded check found damage');
  const bounded = performance.now() - b0;
  const full = time('integrity_check');
  process.stdout.write(
    JSON.stringify({
      days,
      readings: days * perDay,
      rollups: days * 30 * 1440,
      dbMb: Math.round(size / 1e6),
      buildS: Math.round(buildS),
      quickCheckMs: Math.round(quick),
      startCheckMs: Math.round(start),
      boundedCheckMs: Number(bounded.toFixed(1)),
      integrityCheckMs: Math.round(full),
      loadavg: loadavg().map((x) => x.toFixed(2)),
    }) + '\n',
  );
} finally {
  dir.cleanup();
}
