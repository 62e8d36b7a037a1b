import type { ExposureRow, ExposureSums } from '../environment-store.js';
import type { EnvironmentAnswer, EnvironmentClassroom, EnvironmentFigures, EnvironmentSchool } from './contract.js';

/**
 * The environment page's answer, from the environment store's sums (the appliances computed each
 * lesson minute's judgement; here only minutes are added and divided).
 */

/** A CO₂ share from this is amber, above `RED_ABOVE` red (docs/district-console.md, "Environment"). */
export const AMBER_FROM = 0.05;
export const RED_ABOVE = 0.2;
/** The longest range one environment read covers (a school year). */
export const MAX_TERM_DAYS = 366;

const DAY_MS = 86_400_000;

export function band(share: number | null): EnvironmentFigures['band'] {
  if (share === null) return 'none';
  return share > RED_ABOVE ? 'red' : share >= AMBER_FROM ? 'amber' : 'green';
}

/** The start of the term `day` is in: 1 September or 1 February, whichever came last on or before it. */
export function termStart(day: string): string {
  const y = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  if (month >= 9) return `${y}-09-01`;
  if (month >= 2) return `${y}-02-01`;
  return `${y - 1}-09-01`;
}

/** Today in the district's time zone (the console has no appliance's clock to go by). */
export const districtDay = (now: number, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(now),
  );

/** Whether `day` is a real day (2026-02-30 is not). */
export const realDay = (day: string): boolean => {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
};

export const daysBetween = (from: string, to: string): number =>
  (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;

const whole = (x: number): number => (Number.isFinite(x) && x > 0 ? Math.round(x) : 0);
const share = (over: number, withData: number): number | null =>
  withData > 0 ? Math.max(0, Math.min(1, over / withData)) : null;
const level = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);

function figures(s: ExposureSums): EnvironmentFigures {
  const exposure = (e: { withData: number; over: number }) => ({
    minutesWithData: whole(e.withData),
    minutesOver: Math.min(whole(e.over), whole(e.withData)),
    share: share(e.over, e.withData),
  });
  const co2 = exposure(s.co2);
  return {
    days: whole(s.days),
    lessonMinutes: whole(s.lessonMinutes),
    co2,
    pm25: exposure(s.pm25),
    light: exposure(s.light),
    noise: { minutesWithData: whole(s.noise.withData), meanDba: level(s.noise.mean), maxDba: level(s.noise.max) },
    band: band(co2.share),
  };
}

const text = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 200) : '');

export function environmentAnswer(
  rows: readonly ExposureRow[],
  q: { day: string; from: string; to: string },
): EnvironmentAnswer {
  const schools = new Map<string, EnvironmentSchool>();
  const school = (name: string, r?: ExposureRow): EnvironmentSchool => {
    let s = schools.get(name);
    if (!s) {
      const empty = figures({
        days: 0,
        lessonMinutes: 0,
        co2: { withData: 0, over: 0 },
        pm25: { withData: 0, over: 0 },
        light: { withData: 0, over: 0 },
        noise: { withData: 0, mean: null, max: null },
      });
      s = { school: name, today: empty, term: empty, classrooms: [] };
      schools.set(name, s);
    }
    if (r) {
      s.today = figures(r.today);
      s.term = figures(r.term);
    }
    return s;
  };
  let skipped = 0;
  for (const r of rows) {
    if (r.applianceId === null) {
      school(r.school, r);
      skipped += r.skipped;
      continue;
    }
    const c: EnvironmentClassroom = {
      applianceId: r.applianceId,
      grade: text(r.place.grade),
      klass: text(r.place.class),
      room: text(r.place.room),
      name: text(r.place.name),
      today: figures(r.today),
      term: figures(r.term),
    };
    school(r.school).classrooms.push(c);
  }
  return {
    day: q.day,
    from: q.from,
    to: q.to,
    bands: { amberFrom: AMBER_FROM, redAbove: RED_ABOVE },
    skipped,
    schools: [...schools.values()],
  };
}
