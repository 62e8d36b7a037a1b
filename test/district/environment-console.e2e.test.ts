import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { spawnAppliance, healthy, type ChildAppliance } from '../helpers/child.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';
import { hhmm, noonZone } from '../helpers/noon-zone.js';
import { parseConfig } from '../../edge/config/load.js';
import { localTime } from '../../edge/config/timetable.js';
import { Store } from '../../edge/store/store.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';

/**
 * Issue 20's environment page: two real appliance processes of one school, enrolled with a local
 * district (a real receiver on a real PostgreSQL), each with a lesson that ended before it started
 * and the readings of that lesson in its store: one room breathed CO₂ at 1400 ppm, the other
 * 600. Each appliance judges its lesson minutes and sends its day's summary (env-days); the
 * environment account sees the first classroom red with its share and the second green, in
 * Debian's Chromium; school IT of another school sees neither.
 */

const PASSWORD = 'district-Passw0rd';
const OUT = join(ROOT, 'test-output', 'screenshots');
const MIN = 60_000;

interface Box {
  id: string;
  klass: string;
  room: string;
  co2: number;
}

const BOXES: Box[] = [
  { id: 'room-a301', klass: '1班', room: 'A-301', co2: 1400 },
  { id: 'room-a302', klass: '2班', room: 'A-302', co2: 600 },
];

async function cell(page: Page, id: string): Promise<{ band: string | null; text: string }> {
  const c = page.locator(`li.env-cell[data-appliance="${id}"]`);
  return { band: await c.getAttribute('data-band'), text: (await c.innerText()).replace(/\s+/g, ' ') };
}

/** English words on a Chinese page, outside names (translate="no") and units the kiosk allows too. */
async function latinWords(page: Page, selector: string): Promise<string[]> {
  const text = await page.evaluate((sel) => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
    interface N {
      nodeType: number;
      textContent: string | null;
      parentElement: { closest(s: string): unknown } | null;
      childNodes: Iterable<N>;
    }
    const out: string[] = [];
    const walk = (n: N): void => {
      if (n.nodeType === 3 && !n.parentElement?.closest('[translate="no"]')) out.push(n.textContent ?? '');
      for (const c of n.childNodes) walk(c);
    };
    walk(doc.querySelector(sel) as N);
    return out.join('\n');
  }, selector);
  return (text.match(/[A-Za-z][A-Za-z-]{2,}/g) ?? []).filter((w) => !['ppm'].includes(w.toLowerCase()));
}

test(
  'the environment account sees a stuffy classroom red and a fresh one green from two appliance processes; school IT of another school sees neither',
  { timeout: 300_000 },
  async () => {
    const pgsql = await startPostgres();
    const district = await startDistrict(pgsql);
    const dirs = BOXES.map(() => tempDir('classedge-env-console-'));
    const other = tempDir('classedge-env-console-');
    const children: ChildAppliance[] = [];
    const browser = await launchChromium();
    try {
      const c = await district.receiver.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
      const accounts = new ConsoleStore(district.receiver.pool);
      const hash = await hashSecret(PASSWORD);
      await accounts.putUser({ username: 'env', role: 'environment', school: '' }, hash);
      await accounts.putUser({ username: 'sun', role: 'school-it', school: '育才中学' }, hash);
      // Another school's classroom, enrolled but never started: school IT there sees it, with no data.
      await enrolDataDir(district.receiver, district.url, other.path, 'room-b101', '育才中学');

      const now = Date.now();
      const zone = noonZone(now);
      const local = localTime(now, zone);
      const nowMinute = Math.floor(now / MIN);
      // A 60-minute lesson that ended 10 minutes ago (local time of a zone where it is about noon).
      const lesson = `{ start: '${hhmm(local.minute - 70)}', end: '${hhmm(local.minute - 10)}' }`;
      for (const [i, box] of BOXES.entries()) {
        const dir = dirs[i]!.path;
        await enrolDataDir(district.receiver, district.url, dir, box.id, '实验小学');
        const text = [
          `dataDir: ${JSON.stringify(dir)}`,
          `appliance: { id: ${box.id}, name: 三年级${box.klass}, timezone: ${zone}, classroom: { school: 实验小学, grade: 三年级, class: ${box.klass}, room: ${box.room} } }`,
          `timetable: { lessons: [${lesson}], schoolDays: [1, 2, 3, 4, 5, 6, 7] }`,
          'sync: { allowPlainHttp: true, intervalMs: 1000, heartbeatSeconds: 30 }',
          'log: { level: warn }',
        ].join('\n');
        const file = join(dir, 'config.yaml');
        writeFileSync(file, text);
        // The sensors' readings of the two hours before: one a minute of each quantity.
        const store = Store.open(parseConfig(text, file));
        const rows = [];
        for (let m = nowMinute - 130; m < nowMinute; m++)
          for (const [metric, value] of [
            ['co2_ppm', box.co2],
            ['pm25_ugm3', 20],
            ['illuminance_lx', 420],
            ['noise_dba', 52],
          ] as const)
            rows.push({ deviceId: 'modbus-1', metric, value, ts: m * MIN + 5000, receivedAt: m * MIN + 5000 });
        store.readings.insertMany(rows);
        store.close();
        children.push(await spawnAppliance(dir, ['--config', file]));
      }
      await Promise.all(children.map((a) => healthy(a)));
      // Each started after its lesson: its summary of the day, and its heartbeat with its place.
      await waitFor(
        async () => {
          const r = await district.receiver.pool.query<{ days: number; places: number }>(
            `SELECT (SELECT count(DISTINCT appliance_id)::int FROM records WHERE stream = 'env-days') AS days,
                    (SELECT count(*)::int FROM appliance_status) AS places`,
          );
          return r.rows[0]!.days === 2 && r.rows[0]!.places === 2 ? true : undefined;
        },
        'both summaries and heartbeats at the district',
        90_000,
        500,
      );
      const sent = await district.receiver.pool.query<{ appliance_id: string; day: string; payload: any }>(
        "SELECT appliance_id, to_char(day, 'YYYY-MM-DD') AS day, payload FROM records WHERE stream = 'env-days' ORDER BY appliance_id",
      );
      assert.deepEqual(
        sent.rows.map((r) => [r.appliance_id, r.day, r.payload.metrics.co2_ppm.minutesOver]),
        [
          ['room-a301', local.date, 60],
          ['room-a302', local.date, 0],
        ],
      );

      const page = await browser.newPage({ locale: 'zh-CN', timezoneId: zone, viewport: { width: 1400, height: 900 } });
      await page.goto(`http://127.0.0.1:${c.port}/console/`);
      await page.fill('input[name=username]', 'env');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.locator('li.env-cell[data-appliance="room-a301"]').waitFor();
      const stuffy = await cell(page, 'room-a301');
      assert.equal(stuffy.band, 'red', stuffy.text);
      assert.match(stuffy.text, /1班\s*较差（高于 20 %）/, stuffy.text);
      assert.match(stuffy.text, /二氧化碳超标 100 %/, stuffy.text);
      assert.match(stuffy.text, /PM2\.5 超标 0 %/, stuffy.text);
      assert.match(stuffy.text, /照度不足 0 %/, stuffy.text);
      assert.match(stuffy.text, /噪声均值 52 分贝/, stuffy.text);
      const fresh = await cell(page, 'room-a302');
      assert.equal(fresh.band, 'green', fresh.text);
      assert.match(fresh.text, /2班\s*良好（低于 5 %） 二氧化碳超标 0 %/, fresh.text);
      // The school's row: 60 of its 120 lesson minutes with data were over.
      const school = page.locator('section.env-school[data-school="实验小学"] [data-testid=school-summary]');
      assert.match((await school.innerText()).replace(/\s+/g, ' '), /全校\s*较差（高于 20 %）\s*二氧化碳超标 50 %/);
      assert.equal(await page.locator('tr[data-grade="三年级"] li.env-cell').count(), 2, 'one row for the grade');
      assert.deepEqual(await latinWords(page, '[data-testid=environment]'), [], 'no English on the Chinese page');
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'district-environment.png'), fullPage: true });

      // This term: the same day is all of it so far.
      await page.click('button[data-period=term]');
      await page.waitForSelector('button[data-period=term][aria-pressed=true]');
      assert.equal((await cell(page, 'room-a301')).band, 'red');
      assert.match(await page.locator('.filters').innerText(), /学期范围/);
      await page.screenshot({ path: join(OUT, 'district-environment-term.png'), fullPage: true });
      await page.click('header button.link:has-text("English")');
      await page.waitForSelector('text=CO₂ over');
      assert.match((await cell(page, 'room-a301')).text, /CO₂ over 100 %/);
      await page.click('header button.link:has-text("中文")');

      // School IT of another school: its own classroom (no data yet), neither of these.
      await page.click('header button.link:has-text("退出")');
      await page.fill('input[name=username]', 'sun');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.fleet');
      await page.click('header nav a:has-text("教室环境")');
      await page.locator('li.env-cell[data-appliance="room-b101"]').waitFor();
      assert.equal((await cell(page, 'room-b101')).band, 'none');
      assert.equal(await page.locator('li.env-cell[data-appliance^="room-a3"]').count(), 0);
      assert.equal(await page.locator('section.env-school').count(), 1);
      await page.screenshot({ path: join(OUT, 'district-environment-school-it.png'), fullPage: true });
    } finally {
      await browser.close();
      for (const a of children) if (a.child.exitCode === null) a.child.kill('SIGTERM');
      await Promise.all(children.map((a) => a.exited));
      await district.stop();
      await pgsql.stop();
      for (const d of [...dirs, other]) d.cleanup();
    }
  },
);
