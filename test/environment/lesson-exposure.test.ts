import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  exposureLimits,
  lessonExposure,
  lessonSpans,
  localToEpoch,
  type ExposureLimits,
  type LessonSpan,
} from '../../edge/environment/lesson-exposure.js';
import type { Bucket } from '../../edge/environment/rollups.js';
import { parseConfig } from '../../edge/config/load.js';
import type { Timetable } from '../../edge/config/timetable.js';

/**
 * The day's exposure during lessons, by hand-made minute buckets: the rolling averages judge a
 * minute (not a single reading), a lesson without data counts no minute with data, a partial day
 * counts the minutes passed, and a holiday has no lesson at all. Asia/Shanghai has no DST.
 */

const TZ = 'Asia/Shanghai';
/** Monday 2 March 2026. */
const DAY = '2026-03-02';
/** The epoch minute of HH:MM on DAY in Shanghai (UTC+8). */
const at = (hhmm: string): number =>
  Date.UTC(2026, 2, 2, Number(hhmm.slice(0, 2)) - 8, Number(hhmm.slice(3, 5))) / 60_000;
const TT: Timetable = {
  lessons: [
    { start: '08:00', end: '08:40' },
    { start: '08:50', end: '09:30' },
  ],
  byWeekday: {},
  schoolDays: [1, 2, 3, 4, 5],
  holidays: ['2026-03-03'],
  makeUpDays: ['2026-03-07'],
};
const LIMITS: ExposureLimits = {
  co2: { max: 1000, windowMinutes: 60 },
  pm25: { max: 50, windowMinutes: 1440 },
  illuminanceMinLx: 300,
  minCoverage: 0.25,
};

/** One reading a minute of `value(minute)` from `from` to `to` (epoch minutes, `to` excluded). */
function minutes(from: number, to: number, value: (m: number) => number): Map<number, Bucket> {
  const b = new Map<number, Bucket>();
  for (let m = from; m < to; m++) {
    const v = value(m);
    b.set(m, { n: 2, sum: 2 * v, min: v, max: v + 10 });
  }
  return b;
}

test('lessons are local times of the day: Shanghai is UTC+8 all year; holidays and weekends have none, make-up days do', () => {
  assert.equal(new Date(localToEpoch(DAY, 8 * 60, TZ)).toISOString(), '2026-03-02T00:00:00.000Z');
  assert.equal(new Date(localToEpoch('2026-07-15', 23 * 60 + 59, TZ)).toISOString(), '2026-07-15T15:59:00.000Z');
  assert.deepEqual(lessonSpans(TT, DAY, TZ), [
    { start: at('08:00'), end: at('08:40') },
    { start: at('08:50'), end: at('09:30') },
  ]);
  assert.deepEqual(lessonSpans(TT, '2026-03-03', TZ), [], 'a holiday');
  assert.deepEqual(lessonSpans(TT, '2026-03-08', TZ), [], 'a Sunday');
  assert.equal(lessonSpans(TT, '2026-03-07', TZ).length, 2, 'a make-up Saturday');
  assert.deepEqual(
    lessonSpans({ ...TT, byWeekday: { '1': [{ start: '13:00', end: '13:45' }] } }, DAY, TZ),
    [{ start: Date.UTC(2026, 2, 2, 5) / 60_000, end: Date.UTC(2026, 2, 2, 5, 45) / 60_000 }],
    "a weekday's own lessons",
  );
});

test("a day's exposure: CO₂ by its 1-hour average, PM2.5 by its 24-hour one, light below the minimum, noise a level only", () => {
  const lessons: LessonSpan[] = lessonSpans(TT, DAY, TZ);
  const summary = lessonExposure(
    lessons,
    {
      // 800 ppm for the hour before the first lesson, 1300 in it: the 1-h average passes 1000 only
      // once 25 of its minutes are 1300 (800 + 500 × 25/60 > 1000), so 16 of 40 minutes are over,
      // though every reading of the lesson is above 1000. The second lesson has no CO₂ data at all.
      co2_ppm: minutes(at('07:00'), at('08:40'), (m) => (m < at('08:00') ? 800 : 1300)),
      // 60 µg/m³ since midnight: the 24-h window holds 8 h of data at 08:00 (a third: enough).
      pm25_ugm3: minutes(at('00:00'), at('09:30'), () => 60),
      // 250 lx in the first lesson (below 300), 450 in the second.
      illuminance_lx: minutes(at('08:00'), at('09:30'), (m) => (m < at('08:40') ? 250 : 450)),
      noise_dba: minutes(at('08:00'), at('09:30'), (m) => (m < at('08:40') ? 50 : 70)),
    },
    LIMITS,
    at('12:00'),
  );
  assert.equal(summary.lessons, 2);
  assert.deepEqual(summary.limits, { co2Ppm: 1000, pm25Ugm3: 50, illuminanceMinLx: 300 });
  assert.deepEqual(summary.metrics.co2_ppm, {
    lessonMinutes: 80,
    minutesWithData: 40,
    minutesOver: 16,
    mean: 1300,
    max: 1310,
  });
  assert.deepEqual(summary.metrics.pm25_ugm3, {
    lessonMinutes: 80,
    minutesWithData: 80,
    minutesOver: 80,
    mean: 60,
    max: 70,
  });
  assert.deepEqual(summary.metrics.illuminance_lx, {
    lessonMinutes: 80,
    minutesWithData: 80,
    minutesOver: 40,
    mean: 350,
    max: 460,
  });
  assert.deepEqual(summary.metrics.noise_dba, {
    lessonMinutes: 80,
    minutesWithData: 80,
    minutesOver: null,
    mean: 60,
    max: 80,
  });
});

test('too little of a window holds data: the minute has data but is not judged', () => {
  const summary = lessonExposure(
    lessonSpans(TT, DAY, TZ),
    // PM2.5 of 60 from 07:00 only: at 08:00 the 24-h window is 61 of 1440 minutes (< 25 %).
    { pm25_ugm3: minutes(at('07:00'), at('09:30'), () => 60) },
    LIMITS,
    at('12:00'),
  );
  assert.deepEqual([summary.metrics.pm25_ugm3.minutesWithData, summary.metrics.pm25_ugm3.minutesOver], [80, 0]);
  assert.deepEqual(summary.metrics.co2_ppm, {
    lessonMinutes: 80,
    minutesWithData: 0,
    minutesOver: 0,
    mean: null,
    max: null,
  });
});

test('a partial day counts the lesson minutes passed; before the first lesson there is nothing to count', () => {
  const co2 = minutes(at('07:00'), at('09:30'), () => 1200);
  const partial = lessonExposure(lessonSpans(TT, DAY, TZ), { co2_ppm: co2 }, LIMITS, at('08:20'));
  assert.equal(partial.lessons, 1);
  assert.deepEqual(
    [
      partial.metrics.co2_ppm.lessonMinutes,
      partial.metrics.co2_ppm.minutesWithData,
      partial.metrics.co2_ppm.minutesOver,
    ],
    [20, 20, 20],
  );
  const before = lessonExposure(lessonSpans(TT, DAY, TZ), { co2_ppm: co2 }, LIMITS, at('07:59'));
  assert.deepEqual([before.lessons, before.metrics.co2_ppm.lessonMinutes], [0, 0]);
});

test("the limits are the box's own: the averaged CO₂ and PM2.5 rules, the desk minimum, the coverage", () => {
  const def = exposureLimits(parseConfig('', 'config.yaml'));
  assert.deepEqual(def, {
    co2: { max: 1000, windowMinutes: 60 },
    pm25: { max: 50, windowMinutes: 1440 },
    illuminanceMinLx: 300,
    minCoverage: 0.25,
  });
  const own = exposureLimits(
    parseConfig(
      [
        'environment:',
        '  deskIlluminanceMinLx: 500',
        '  rules:',
        "    - { id: co2-8h, metric: co2_ppm, window: '8h', max: 1500, hysteresis: 50, level: alert, basis: school }",
      ].join('\n'),
      'config.yaml',
    ),
  );
  assert.deepEqual(own, { co2: { max: 1500, windowMinutes: 480 }, illuminanceMinLx: 500, minCoverage: 0.25 });
  // Without a PM2.5 rule no minute is over, and the summary says the limit is unknown.
  const s = lessonExposure(
    lessonSpans(TT, DAY, TZ),
    { pm25_ugm3: minutes(at('00:00'), at('09:30'), () => 500) },
    own,
    at('12:00'),
  );
  assert.deepEqual([s.metrics.pm25_ugm3.minutesOver, s.limits.pm25Ugm3], [0, null]);
});
