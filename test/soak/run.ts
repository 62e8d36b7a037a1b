import { parseArgs } from 'node:util';
import { runSoak } from './soak.js';
import { FAULTS, SHORT, calendar } from './schedule.js';

/**
 * `npm run soak -- --hours N [--out file.json]`: a simulated school week (or more) in N hours of wall
 * clock. `--short` runs CI's two short days instead; `--faults` one day of the remote lesson, the media
 * worker killed and the disk nearly full. Exits 1 when a record was lost or an event failed.
 */
const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '2' },
    out: { type: 'string', default: 'soak-report.json' },
    short: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
    'day-seconds': { type: 'string' },
  },
});
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0) {
  process.stderr.write(`soak: --hours: expected a positive number of hours, got '${values.hours}'\n`);
  process.exit(2);
}
const cal = values.short
  ? { days: SHORT, dayMs: 60_000 }
  : values.faults
    ? { days: FAULTS, dayMs: 240_000 }
    : calendar(hours);
if (values['day-seconds'] !== undefined) {
  const s = Number(values['day-seconds']);
  if (!Number.isFinite(s) || s < 30) {
    process.stderr.write(`soak: --day-seconds: expected at least 30 seconds, got '${values['day-seconds']}'\n`);
    process.exit(2);
  }
  cal.dayMs = s * 1000;
}
const r = await runSoak({ ...cal, out: values.out });
const { days: _days, ...figures } = r;
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
process.stdout.write(`report: ${values.out}\n`);
process.exitCode = r.soak_lost_records === 0 && r.failures.length === 0 ? 0 : 1;
