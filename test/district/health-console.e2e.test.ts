import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { startTestAppliance, seedAccounts, ADMIN, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { rosterCsv } from '../helpers/roster.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';

/**
 * Issue 20's second acceptance: a school doctor acknowledges, in the district console, an outbreak
 * signal raised by an appliance's own health data (three rash cases in one class on one day),
 * synced to a real receiver on a real PostgreSQL; the class's daily report shows beside it; every
 * read of health data is audited; district IT does not see health data.
 */

const PASSWORD = 'district-Passw0rd';
const OUT = join(ROOT, 'test-output', 'screenshots');

test(
  "a school doctor acknowledges an outbreak signal raised by an appliance's health data; the class-day report shows; reads are audited",
  { timeout: 300_000 },
  async () => {
    const pgsql = await startPostgres();
    const district = await startDistrict(pgsql);
    const dir = tempDir('classedge-health-console-');
    const browser = await launchChromium();
    try {
      await enrolDataDir(district.receiver, district.url, dir.path, 'room-301', '实验小学');
      const t = await startTestAppliance(
        [
          'appliance: { id: room-301 }',
          "health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }",
          'sync: { allowPlainHttp: true, intervalMs: 500, heartbeatSeconds: 30 }',
        ].join('\n'),
        { keepDir: dir.path },
      );
      try {
        await seedAccounts(t);
        const admin = new ApiClient(t.httpUrl);
        await admin.loginAdmin(ADMIN.username, ADMIN.password);
        const imp = await admin.post('/api/v1/health/roster', {
          csvBase64: Buffer.from(rosterCsv(30)).toString('base64'),
        });
        assert.equal(imp.status, 200, JSON.stringify(imp.body));
        const api = new ApiClient(t.httpUrl);
        await api.loginTeacher(TEACHER.username, TEACHER.pin);
        const students = (await api.get('/api/v1/health/day')).body as { studentId: number }[];
        for (const s of students.slice(0, 3))
          assert.equal(
            (
              await api.post('/api/v1/health/checks', {
                studentId: s.studentId,
                tempRawC: 36.6,
                ambientC: 25,
                symptoms: ['rash'],
              })
            ).status,
            201,
          );
        for (const s of students.slice(3, 27))
          await api.post('/api/v1/health/checks', {
            studentId: s.studentId,
            tempRawC: 36.5,
            ambientC: 25,
            symptoms: [],
          });
        // The class's report, as the 10:00 timer makes it.
        assert.deepEqual(t.appliance.health.reportToDistrict(), ['g2c3']);
        await waitFor(
          async () => {
            const r = await district.receiver.pool.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM records WHERE stream IN ('health-alerts', 'health-days')",
            );
            return r.rows[0]!.n >= 2 ? true : undefined;
          },
          'the signal and the report at the district',
          60_000,
          200,
        );
        // Pseudonyms only: no student name reached the district.
        const names = await district.receiver.pool.query<{ payload: string }>(
          "SELECT payload::text FROM records WHERE stream IN ('health-alerts', 'health-days')",
        );
        for (const r of names.rows)
          assert.doesNotMatch(r.payload, /小明|小红|子涵|浩然|雨桐|梓轩|欣怡|一诺|宇航|思远/, r.payload);

        const accounts = new ConsoleStore(district.receiver.pool);
        const hash = await hashSecret(PASSWORD);
        await accounts.putUser({ username: 'doctor-liu', role: 'health', school: '实验小学' }, hash);
        await accounts.putUser({ username: 'wang', role: 'district-it', school: '' }, hash);
        const c = await district.receiver.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
        const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
        await page.goto(`http://127.0.0.1:${c.port}/console/`);
        await page.fill('input[name=username]', 'doctor-liu');
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        const card = page.locator('article.signal');
        await card.first().waitFor();
        assert.equal(await card.count(), 1);
        const text = await card.innerText();
        assert.match(text, /实验小学 · 二年级\(3\)班 · 皮疹 · 病例数 3/, text);
        assert.match(text, /未确认/);
        assert.match(text, /同一天 3 例以上相同症状/);
        assert.match(text, /学生代号: P/);
        const row = page.locator('[data-testid=class-days] tr[data-class-day^="g2c3/"]');
        await row.waitFor();
        const rowText = (await row.innerText()).replace(/\s+/g, ' ');
        assert.match(rowText, /二年级\(3\)班 90 % \(27\/30\) 0 皮疹 3 0 \(0 %\)/, rowText);
        assert.equal(
          await page.locator('[data-testid=class-days] tr[data-missing]').count(),
          0,
          'no report missing before the first',
        );

        await card.locator('textarea[name=note]').fill('已电话联系学校，三名学生居家观察');
        await card.locator('button[type=submit]').click();
        await page.waitForSelector('article.signal.acked');
        const acked = await page.locator('article.signal').innerText();
        assert.match(acked, /已确认 \(doctor-liu\)/);
        assert.match(acked, /doctor-liu: 已电话联系学校，三名学生居家观察/);
        mkdirSync(OUT, { recursive: true });
        await page.screenshot({ path: join(OUT, 'district-health.png'), fullPage: true });

        const audit = await district.receiver.pool.query<{ action: string; username: string }>(
          "SELECT action, username FROM console_audit WHERE action LIKE 'health.%' ORDER BY id",
        );
        const actions = audit.rows.map((r) => `${r.username} ${r.action}`);
        assert.ok(actions.includes('doctor-liu health.days.read'), actions.join(','));
        assert.ok(actions.includes('doctor-liu health.signals.read'), actions.join(','));
        assert.ok(actions.includes('doctor-liu health.signal.note'), actions.join(','));

        // District IT sees no health data.
        await page.click('header button.link:has-text("退出")');
        await page.fill('input[name=username]', 'wang');
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForSelector('table.fleet');
        assert.equal(await page.locator('article.signal').count(), 0);
        const denied = await page.evaluate(async () => (await fetch('/console/api/v1/health/signals')).status);
        assert.equal(denied, 403);
      } finally {
        await t.stop();
      }
    } finally {
      await browser.close();
      await district.stop();
      await pgsql.stop();
      dir.cleanup();
    }
  },
);
