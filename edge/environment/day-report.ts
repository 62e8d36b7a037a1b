import type { Config } from '../config/schema.js';
import { localTime } from '../config/timetable.js';
import type { Store } from '../store/store.js';
import type { Bucket } from './rollups.js';
import {
  EXPOSURE_METRICS,
  exposureLimits,
  lessonExposure,
  lessonSpans,
  lookbackMinutes,
  type DaySummary,
  type ExposureMetric,
} from './lesson-exposure.js';

/**
 * The daily environment summary to the district (stream `env-days`): after each lesson of a
 * school day ends, the day's figures so far (lesson-exposure.ts) replace the day's row, whose
 * outbox trigger sends them. At most one summary a lesson end: the lessons already reported of the
 * day are kept in meta `env-day-reported` (`<day> <lessons ended>`), so a restart does not repeat
 * them, and a start after a lesson (the box was off, or its readings were rolled up only now)
 * makes one at once. Days without lessons (weekends, holidays) make none.
 */
export class EnvDayReporter {
  readonly #config: Config;
  readonly #store: Pick<Store, 'rollups' | 'envDays' | 'meta'>;

  constructor(config: Config, store: Pick<Store, 'rollups' | 'envDays' | 'meta'>) {
    this.#config = config;
    this.#store = store;
  }

  /**
   * The local day's summary at `now`, stored (and so sent); undefined on a day without lessons or
   * before its first lesson has begun.
   */
  report(now: number): DaySummary | undefined {
    const tz = this.#config.appliance.timezone;
    const day = localTime(now, tz).date;
    const lessons = lessonSpans(this.#config.timetable, day, tz);
    const nowMinute = Math.floor(now / 60_000);
    if (lessons.length === 0 || lessons[0]!.start >= nowMinute) return undefined;
    const limits = exposureLimits(this.#config);
    const since = lessons[0]!.start - lookbackMinutes(limits);
    const buckets: Partial<Record<ExposureMetric, Map<number, Bucket>>> = {};
    for (const metric of EXPOSURE_METRICS)
      buckets[metric] = new Map(this.#store.rollups.roomBuckets(since, metric).map((r) => [r.minute, r.b]));
    const summary = lessonExposure(lessons, buckets, limits, nowMinute);
    this.#store.envDays.put(day, { ...summary }, now);
    return summary;
  }

  /**
   * A summary when a lesson of today ended since the last one (or, with `atStart`, when any has
   * ended); returns whether one was made.
   */
  reportIfDue(now: number, atStart = false): boolean {
    const tz = this.#config.appliance.timezone;
    const day = localTime(now, tz).date;
    const nowMinute = Math.floor(now / 60_000);
    const ended = lessonSpans(this.#config.timetable, day, tz).filter((l) => l.end <= nowMinute).length;
    if (ended === 0) return false;
    const [doneDay, doneCount] = (this.#store.meta.get('env-day-reported') ?? '').split(' ');
    if (!atStart && doneDay === day && Number(doneCount) >= ended) return false;
    if (!this.report(now)) return false;
    this.#store.meta.set('env-day-reported', `${day} ${ended}`);
    return true;
  }
}
