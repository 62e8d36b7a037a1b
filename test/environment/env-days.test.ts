import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAppliance } from '../helpers/appliance.js';
import { EnvDayReporter } from '../../edge/environment/day-report.js';
import { localTime } from '../../edge/config/timetable.js';
import { hhmm, noonZone } from '../helpers/noon-zone.js';

/**
 * The daily environment summary on a real appliance (real SQLite, the outbox triggers of migration
 * 17): made at start when a lesson of today has ended, then again after the next lesson ends, each
 * version a new `env-days` outbox record, the day's row replaced; nothing between lesson ends.
 */

const MIN = 60_000;

test(
  'the env-days summary goes to the outbox at start after a lesson, and again when the next lesson ends',
  { timeout: 60_000 },
  async () => {
    const now = Date.now();
    const zone = noonZone(now);
    const local = localTime(now, zone);
    const L = local.minute;
    const nowMinute = Math.floor(now / MIN);
    // Lesson A ended 40 minutes ago; lesson B began 20 minutes ago and ends in 30.
    const t = await startTestAppliance(
      [
        `appliance: { id: room-env, timezone: ${zone} }`,
        'timetable:',
        `  lessons: [{ start: '${hhmm(L - 90)}', end: '${hhmm(L - 40)}' }, { start: '${hhmm(L - 20)}', end: '${hhmm(L + 30)}' }]`,
        '  schoolDays: [1, 2, 3, 4, 5, 6, 7]',
      ].join('\n'),
    );
    try {
      const records = () => t.appliance.store.outbox.after('env-days', 0, 100);
      // At start: lesson A has ended (no reading yet: minutes without data).
      const first = records();
      assert.equal(first.length, 1, JSON.stringify(first));
      const p0 = JSON.parse(first[0]!.payload) as Record<string, any>;
      assert.equal(p0.day, local.date);
      assert.equal(p0.lessons, 2, 'lesson B has begun');
      assert.deepEqual(p0.metrics.co2_ppm, {
        lessonMinutes: 50 + 20,
        minutesWithData: 0,
        minutesOver: 0,
        mean: null,
        max: null,
      });
      assert.equal(p0.metrics.noise_dba.minutesOver, null);
      assert.deepEqual(p0.limits, { co2Ppm: 1000, pm25Ugm3: 50, illuminanceMinLx: 300 });

      // Readings of the last 150 minutes up to the minute before this one: CO₂ 1500 (its 1-h average
      // is over from lesson A's first minute), light 250 lx (below 300), noise 55 dB(A).
      // One submission a reading (a device's metrics at one time), as a Modbus poll's (no acknowledgement to wait for).
      for (let m = nowMinute - 150; m < nowMinute; m++)
        await t.appliance.readings.submitAsync(
          (
            [
              ['co2_ppm', 1500],
              ['illuminance_lx', 250],
              ['noise_dba', 55],
            ] as const
          ).map(([metric, value]) => ({
            deviceId: 'modbus-1',
            metric,
            value,
            ts: m * MIN + 1000,
            receivedAt: Date.now(),
          })),
          'polled',
        );
      t.appliance.environment.flush();
      // Nothing ended since the start's summary: none made.
      assert.equal(t.appliance.environment.reportDayIfDue(), false);
      assert.equal(records().length, 1);

      // Lesson B ends: the day's summary again, as the minute timer makes it.
      const days = new EnvDayReporter(t.config, t.appliance.store);
      const endB = (nowMinute + 30) * MIN;
      assert.equal(days.reportIfDue(endB - MIN), false, 'lesson B under way');
      assert.equal(days.reportIfDue(endB + 30_000), true);
      assert.equal(days.reportIfDue(endB + 90_000), false, 'one summary a lesson end');
      const both = records();
      assert.equal(both.length, 2);
      const p1 = JSON.parse(both[1]!.payload) as Record<string, any>;
      assert.equal(p1.day, local.date);
      assert.equal(p1.madeAt, endB + 30_000);
      assert.deepEqual(p1.metrics.co2_ppm, {
        lessonMinutes: 100,
        minutesWithData: 70,
        minutesOver: 70,
        mean: 1500,
        max: 1500,
      });
      assert.deepEqual([p1.metrics.illuminance_lx.minutesWithData, p1.metrics.illuminance_lx.minutesOver], [70, 70]);
      assert.deepEqual(p1.metrics.noise_dba, {
        lessonMinutes: 100,
        minutesWithData: 70,
        minutesOver: null,
        mean: 55,
        max: 55,
      });
      assert.deepEqual([p1.metrics.pm25_ugm3.minutesWithData, p1.metrics.pm25_ugm3.minutesOver], [0, 0]);
      // One row a day on the box: the newer figures replaced the older.
      assert.equal(t.appliance.store.envDays.get(local.date)?.madeAt, endB + 30_000);
      assert.equal(t.appliance.store.meta.get('env-day-reported'), `${local.date} 2`);
    } finally {
      await t.stop();
    }
  },
);

test(
  'no summary on a day without lessons (a holiday), nor before the first lesson ends',
  { timeout: 60_000 },
  async () => {
    const now = Date.now();
    const zone = noonZone(now);
    const local = localTime(now, zone);
    const t = await startTestAppliance(
      [
        `appliance: { id: room-env2, timezone: ${zone} }`,
        'timetable:',
        `  lessons: [{ start: '${hhmm(local.minute - 60)}', end: '${hhmm(local.minute - 10)}' }]`,
        '  schoolDays: [1, 2, 3, 4, 5, 6, 7]',
        `  holidays: ['${local.date}']`,
      ].join('\n'),
    );
    try {
      assert.equal(t.appliance.environment.reportDayIfDue(true), false);
      assert.equal(t.appliance.store.outbox.after('env-days', 0, 10).length, 0);
      const days = new EnvDayReporter(
        { ...t.config, timetable: { ...t.config.timetable, holidays: [] } },
        t.appliance.store,
      );
      assert.equal(days.reportIfDue(now - 15 * MIN), false, 'the lesson under way');
      assert.equal(days.reportIfDue(now), true, 'once not a holiday, the ended lesson is reported');
    } finally {
      await t.stop();
    }
  },
);
