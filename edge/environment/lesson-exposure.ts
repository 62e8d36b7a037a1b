import { lessonsOn, localTime, toMinute, type Timetable } from '../config/timetable.js';
import type { Config } from '../config/schema.js';
import { WINDOW_MS } from './rules.js';
import type { Bucket } from './rollups.js';

/**
 * The room's exposure during lessons on one local day: how many lesson minutes each quantity was
 * over its limit, for the district's environment page (stream `env-days`). Pure: minute buckets
 * (room level, sensors pooled, as the rules' rolling averages pool them) and lesson intervals in,
 * figures out. The district only adds these up; it never sees a timetable or a raw reading by day.
 *
 * A minute is judged the way the environment rules judge (docs/environment.md):
 * - CO₂: over when the room's rolling average over the CO₂ rule's window (1 h) ending at that minute
 *   is above the rule's limit (1000 ppm), and that window has data in at least
 *   `environment.minCoverage` of its minutes (else the minute is not judged: it has data, not a breach);
 * - PM2.5: the same with the PM2.5 rule (24-h average, 50 µg/m³);
 * - light: over when the minute's mean desk illuminance is below `environment.deskIlluminanceMinLx`
 *   (GB 7793: a maintained average, so a minute is the finest grain that still means it);
 * - noise: never judged during lessons (GB 50118 is a limit for the empty room): its mean and
 *   maximum only, `minutesOver` null.
 */

export const EXPOSURE_METRICS = ['co2_ppm', 'pm25_ugm3', 'noise_dba', 'illuminance_lx'] as const;
export type ExposureMetric = (typeof EXPOSURE_METRICS)[number];

export interface MetricExposure {
  /** Lesson minutes of the day that have passed. */
  lessonMinutes: number;
  /** Those with at least one reading of the metric. */
  minutesWithData: number;
  /** Those judged over the limit; null for a metric not judged during lessons (noise). */
  minutesOver: number | null;
  /** Mean of the readings during lesson minutes (null without any). */
  mean: number | null;
  /** Highest reading during lesson minutes (null without any). */
  max: number | null;
}

export interface ExposureLimits {
  /** The CO₂ limit and its averaging window (minutes); undefined when no CO₂ rule has an upper limit. */
  co2?: { max: number; windowMinutes: number };
  pm25?: { max: number; windowMinutes: number };
  /** Least desk illuminance (lx). */
  illuminanceMinLx: number;
  /** Share of a window's minutes that must hold data before its average is judged. */
  minCoverage: number;
}

/** One lesson as epoch minutes: `[start, end)`. */
export interface LessonSpan {
  start: number;
  end: number;
}

export interface DaySummary {
  /** Lessons of the day that have begun (the last one may be under way). */
  lessons: number;
  /** The limits the minutes were judged against, as configured on this box. */
  limits: { co2Ppm: number | null; pm25Ugm3: number | null; illuminanceMinLx: number };
  metrics: Record<ExposureMetric, MetricExposure>;
}

/**
 * The limits of this box's configuration: the rule with an upper limit and an averaging window for
 * CO₂ (`co2-1h` by default; the instant ventilate-now level is a prompt, not the standard) and for
 * PM2.5 (`pm25-24h`), the desk illuminance minimum and the coverage rule.
 */
export function exposureLimits(config: Pick<Config, 'environment'>): ExposureLimits {
  const env = config.environment;
  const averaged = (metric: string): { max: number; windowMinutes: number } | undefined => {
    const r = env.rules.find((x) => x.metric === metric && x.window !== 'instant' && x.max !== undefined);
    return r && r.window !== 'instant' && r.max !== undefined
      ? { max: r.max, windowMinutes: Math.round(WINDOW_MS[r.window] / 60_000) }
      : undefined;
  };
  const co2 = averaged('co2_ppm');
  const pm25 = averaged('pm25_ugm3');
  return {
    ...(co2 ? { co2 } : {}),
    ...(pm25 ? { pm25 } : {}),
    illuminanceMinLx: env.deskIlluminanceMinLx,
    minCoverage: env.minCoverage,
  };
}

/** Epoch ms of `minuteOfDay` on the local `date` in `timeZone` (exact for zones without a shift that day). */
export function localToEpoch(date: string, minuteOfDay: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d, 0, minuteOfDay);
  let guess = naive;
  // Two corrections settle the zone's offset at that moment.
  for (let i = 0; i < 2; i++) {
    const t = localTime(guess, timeZone);
    const [ty, tm, td] = t.date.split('-').map(Number) as [number, number, number];
    const seen = Date.UTC(ty, tm - 1, td, 0, t.minute);
    guess += naive - seen;
  }
  return guess;
}

/** The lessons of the local `date` as epoch-minute spans; none on a holiday or a day without lessons. */
export function lessonSpans(tt: Timetable, date: string, timeZone: string): LessonSpan[] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
  return lessonsOn(tt, date, weekday)
    .map((l) => ({
      start: Math.round(localToEpoch(date, toMinute(l.start), timeZone) / 60_000),
      end: Math.round(localToEpoch(date, toMinute(l.end), timeZone) / 60_000),
    }))
    .filter((l) => l.end > l.start)
    .sort((a, b) => a.start - b.start);
}

/**
 * Rolling averages at each minute of `[from, to)` over the `window` minutes ending there (the
 * minute itself included, as MetricWindows.average does), or undefined where the window's data
 * covers less than `minCoverage`.
 */
function rolling(
  buckets: ReadonlyMap<number, Bucket>,
  from: number,
  to: number,
  window: number,
  minCoverage: number,
): (minute: number) => number | undefined {
  // Prefix sums from the first minute any window reaches.
  const first = from - window + 1;
  const len = to - first;
  const sum = new Float64Array(len + 1);
  const n = new Float64Array(len + 1);
  const has = new Int32Array(len + 1);
  for (let i = 0; i < len; i++) {
    const b = buckets.get(first + i);
    sum[i + 1] = sum[i]! + (b?.sum ?? 0);
    n[i + 1] = n[i]! + (b?.n ?? 0);
    has[i + 1] = has[i]! + (b && b.n > 0 ? 1 : 0);
  }
  return (minute) => {
    const hi = minute - first + 1;
    const lo = hi - window;
    const count = n[hi]! - n[lo]!;
    if (count <= 0 || (has[hi]! - has[lo]!) / window < minCoverage) return undefined;
    return (sum[hi]! - sum[lo]!) / count;
  };
}

/**
 * The day's figures from its lessons and the room's minute buckets, counting only lesson minutes
 * that have passed by `nowMinute` (epoch minutes; a minute counts once it is over).
 */
export function lessonExposure(
  lessons: readonly LessonSpan[],
  buckets: Readonly<Partial<Record<ExposureMetric, ReadonlyMap<number, Bucket>>>>,
  limits: ExposureLimits,
  nowMinute: number,
): DaySummary {
  const minutes: number[] = [];
  for (const l of lessons) for (let m = l.start; m < Math.min(l.end, nowMinute); m++) minutes.push(m);
  const from = minutes[0] ?? nowMinute;
  const to = (minutes.at(-1) ?? nowMinute) + 1;
  const over = (metric: ExposureMetric, b: ReadonlyMap<number, Bucket>): ((m: number) => boolean) | null => {
    if (metric === 'noise_dba') return null;
    if (metric === 'illuminance_lx')
      return (m) => (b.get(m)?.n ?? 0) > 0 && b.get(m)!.sum / b.get(m)!.n < limits.illuminanceMinLx;
    const limit = metric === 'co2_ppm' ? limits.co2 : limits.pm25;
    if (!limit) return () => false;
    const avg = rolling(b, from, to, limit.windowMinutes, limits.minCoverage);
    return (m) => {
      const a = avg(m);
      return a !== undefined && a > limit.max;
    };
  };
  const metrics = {} as Record<ExposureMetric, MetricExposure>;
  for (const metric of EXPOSURE_METRICS) {
    const b = buckets[metric] ?? new Map<number, Bucket>();
    const judge = over(metric, b);
    let withData = 0;
    let overCount = 0;
    let sum = 0;
    let n = 0;
    let max = -Infinity;
    for (const m of minutes) {
      const x = b.get(m);
      if (!x || x.n <= 0) continue;
      withData++;
      sum += x.sum;
      n += x.n;
      max = Math.max(max, x.max);
      if (judge?.(m)) overCount++;
    }
    metrics[metric] = {
      lessonMinutes: minutes.length,
      minutesWithData: withData,
      minutesOver: judge ? overCount : null,
      mean: n > 0 ? Math.round((sum / n) * 10) / 10 : null,
      max: n > 0 ? Math.round(max * 10) / 10 : null,
    };
  }
  return {
    lessons: lessons.filter((l) => l.start < nowMinute).length,
    limits: {
      co2Ppm: limits.co2?.max ?? null,
      pm25Ugm3: limits.pm25?.max ?? null,
      illuminanceMinLx: limits.illuminanceMinLx,
    },
    metrics,
  };
}

/** The longest averaging window the judgement needs before the first lesson (minutes). */
export function lookbackMinutes(limits: ExposureLimits): number {
  return Math.max(limits.co2?.windowMinutes ?? 0, limits.pm25?.windowMinutes ?? 0);
}
