import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';

/**
 * Issue 20's third acceptance: a teaching researcher (教研员) sees lesson aggregates by school and
 * grade in the district console, from lessons two real appliances recorded and synced, and no
 * teacher's name anywhere: not on the page, not in what the district received. A group of fewer
 * than three lessons shows its count only.
 */

const PASSWORD = 'district-Passw0rd';
const OUT = join(ROOT, 'test-output', 'screenshots');
const TEACHER_NAMES = ['li', '李老师', 'zhang', '张老师'];

/** `n` ended lessons on the appliance, claimed by `teacher`, through the store (the outbox trigger sends them). */
function lessons(t: TestAppliance, n: number, teacher: string, talk: [number, number], mode: string): void {
  const day = new Date().toISOString().slice(0, 10);
  for (let i = 0; i < n; i++) {
    const startedAt = Date.now() - (n - i) * 3_600_000;
    const l = t.appliance.store.lessons.start({
      day,
      startedAt,
      source: 'teacher',
      timetableIndex: null,
      startedBy: teacher,
      sampleIntervalS: 30,
    });
    t.appliance.store.lessons.claim(l.id, teacher);
    t.appliance.store.lessons.end(l.id, startedAt + 2_400_000, teacher, {
      codes: 'TTTSTTST',
      teacherTalkS: talk[0],
      studentTalkS: talk[1],
      turns: 12,
      rt: talk[0] / (talk[0] + talk[1]),
      ch: 0.4,
      mode: mode as never,
      headUpMean: 0.8,
      framesAnalysed: 480,
      framesDropped: 0,
      audioDroppedS: 0,
      questioning: {
        wt1: { n: 10, medianS: 1 + i, p25S: 0.8, p75S: 2, atLeast3sShare: 0.2, histogram: [2, 4, 2, 1, 1] },
        wt2: { n: 10, medianS: 0.9, p25S: 0.5, p75S: 1.2, atLeast3sShare: 0, histogram: [6, 4, 0, 0, 0] },
        episodes: 8,
        episodesPer10Min: 2,
        episodeMedianS: 20,
        episodeAt: [60, 300],
        modeShares: { single: 0.8, multiple: 0.1, none: 0.1 },
      },
    });
  }
}

test(
  'a teaching researcher sees lesson aggregates by school and grade, and no teacher name; a group of fewer than three shows its count only',
  { timeout: 300_000 },
  async () => {
    const pgsql = await startPostgres();
    const district = await startDistrict(pgsql);
    const dirs = [tempDir('classedge-research-a-'), tempDir('classedge-research-b-')];
    const browser = await launchChromium();
    const boxes: TestAppliance[] = [];
    try {
      const place = [
        { id: 'room-a', school: '实验小学', grade: '三年级' },
        { id: 'room-b', school: '育才中学', grade: '初二' },
      ];
      for (const [i, p] of place.entries()) {
        await enrolDataDir(district.receiver, district.url, dirs[i]!.path, p.id, p.school);
        boxes.push(
          await startTestAppliance(
            `appliance: { id: ${p.id}, classroom: { school: ${p.school}, grade: ${p.grade} } }\nsync: { allowPlainHttp: true, intervalMs: 500, heartbeatSeconds: 30 }`,
            { keepDir: dirs[i]!.path },
          ),
        );
      }
      lessons(boxes[0]!, 4, 'li', [1800, 600], 'lecture');
      lessons(boxes[1]!, 2, 'zhang', [900, 900], 'dialogue');
      await waitFor(
        async () => {
          const r = await district.receiver.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM records WHERE stream = 'lessons'",
          );
          return r.rows[0]!.n === 6 ? true : undefined;
        },
        'six lessons at the district',
        60_000,
        200,
      );
      const sent = await district.receiver.pool.query<{ payload: string }>(
        "SELECT payload::text FROM records WHERE stream = 'lessons'",
      );
      for (const r of sent.rows)
        for (const name of TEACHER_NAMES) assert.ok(!r.payload.includes(`"${name}"`), `${name} in ${r.payload}`);

      await new ConsoleStore(district.receiver.pool).putUser(
        { username: 'jiaoyan-chen', role: 'research', school: '' },
        await hashSecret(PASSWORD),
      );
      const c = await district.receiver.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
      const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1500, height: 700 } });
      await page.goto(`http://127.0.0.1:${c.port}/console/`);
      await page.fill('input[name=username]', 'jiaoyan-chen');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      const a = page.locator('[data-testid=lesson-groups] tr[data-group="实验小学/三年级"]');
      await a.waitFor();
      const aText = (await a.innerText()).replace(/\s+/g, ' ');
      // 1800 of 2400 s: 75 %; four lessons in 讲授; the medians of 1, 2, 3, 4 s: 2.5 s.
      assert.match(aText, /实验小学 三年级 4 75 % 100 % \/ 0 % \/ 0 % \/ 0 % 2\.5 s 20 % 0\.9 s 2\.0 80 %/, aText);
      const b = (await page.locator('tr[data-group="育才中学/初二"]').innerText()).replace(/\s+/g, ' ');
      assert.match(b, /育才中学 初二 2 少于 3 节，不显示/, b);
      const whole = await page.locator('main').innerText();
      for (const name of TEACHER_NAMES) assert.ok(!whole.includes(name), `${name} on the page`);
      assert.match(whole, /不含任何教师姓名/);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'district-research.png') });
      const fleet = await page.evaluate(async () => (await fetch('/console/api/v1/fleet')).status);
      assert.equal(fleet, 403, 'a researcher has no fleet');
    } finally {
      await browser.close();
      for (const b of boxes) await b.stop();
      await district.stop();
      await pgsql.stop();
      for (const d of dirs) d.cleanup();
    }
  },
);
