import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ROOT, tempDir } from '../helpers/env.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { parseRoster, importRoster } from '../../edge/health/roster.js';
import { rosterCsv } from '../helpers/roster.js';

/**
 * The 晨检 screen as a teacher and a school doctor use it (issue 23): refusals in words, both
 * temperatures named, the 日报 inside the kiosk with 返回 and 打印, an absence reason shown at once,
 * and one banner per outbreak that can be marked 已上报.
 */

const WINDOW = `health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }`;
const OUT = join(ROOT, 'test-output', 'screenshots');
let browser: Browser;
before(async () => {
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});
after(async () => browser.close());

async function openHealth(page: Page, t: TestAppliance): Promise<void> {
  await page.goto(`${t.httpUrl}/#/health`);
  await page.click(`[data-testid=teacher-${TEACHER.username}]`);
  for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
  await page.click('[data-testid=pin-ok]');
  await page.waitForSelector('[data-testid=health-summary]');
}

async function withAppliance(
  n: number,
  run: (t: TestAppliance, page: Page) => Promise<void>,
  yaml = WINDOW,
): Promise<void> {
  let t: TestAppliance | undefined;
  let page: Page | undefined;
  try {
    t = await startTestAppliance(yaml);
    await seedAccounts(t);
    importRoster(t.appliance.store, parseRoster(Buffer.from(rosterCsv(n))).rows);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await run(t, page);
  } finally {
    await page?.close();
    await t?.stop();
  }
}

const text = async (page: Page, selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

/** Every button, link and field on the screen is a touch target of at least 48 px. */
async function assertTouchTargets(page: Page): Promise<void> {
  const small = await page.$$eval('main button, main a, main input', (els) =>
    els
      .map((e) => ({ what: e.outerHTML.slice(0, 80), h: e.getBoundingClientRect().height }))
      .filter((x) => x.h > 0 && x.h < 48),
  );
  assert.deepEqual(small, [], 'controls under 48 px');
}

test(
  '晨检: a bad temperature is a Chinese sentence with the value and the range; both readings are named; English when switched',
  { timeout: 180_000 },
  async () => {
    const dir = tempDir('classedge-e2e-health-');
    const thermo = new ThermometerSim();
    let pty: PtyPair | undefined;
    try {
      pty = await openPtyPair(dir.path);
      await thermo.listen(pty.b);
      const port = pty.a;
      await withAppliance(
        5,
        async (t, page) => {
          await openHealth(page, t);
          await page.click('[data-testid=student-2026001]');
          await page.waitForSelector('[data-testid=check-panel]');
          await assertTouchTargets(page);

          // The thermometer reads a cold forehead (not aimed at it): refused, in words.
          thermo.next = { objectC: 28.1, ambientC: 25 };
          await page.click('[data-testid=measure]');
          await page.waitForSelector('[data-testid=health-message].error');
          const fromThermometer = await text(page, '[data-testid=health-message]');
          assert.equal(fromThermometer, '体温读数 28.1 °C 不在 30–43 °C 之间，请重新测量（额温枪离额头 3–5 厘米）');

          // The same reading typed by hand is refused by the appliance with the same sentence.
          await page.click('[data-testid=student-2026001]');
          assert.equal(await page.locator('[data-testid=health-message]').count(), 0);
          await page.fill('input[name=temp]', '28.1');
          await page.click('[data-testid=save-check]');
          await page.waitForSelector('[data-testid=health-message].error');
          const typed = await text(page, '[data-testid=health-message]');
          assert.equal(typed, fromThermometer);
          assert.doesNotMatch(typed.replaceAll('°C', ''), /[A-Za-z/]/, 'no JSON path, no English');

          // A cold doorway: the raw reading and the compensated one, named, and which one counts.
          thermo.next = { objectC: 36.1, ambientC: 15 };
          await page.click('[data-testid=measure]');
          await page.waitForSelector('[data-testid=measured]');
          const measured = await text(page, '[data-testid=measured]');
          assert.match(measured, /测得 36\.1 °C · 校正后 36\.5 °C（以此为准）/);
          assert.match(measured, /门口环境 15\.0 °C/);
          await page.screenshot({ path: join(OUT, 'health-measured-1280x800.png') });
          await page.click('[data-testid=save-check]');
          await page.waitForSelector('[data-testid=student-2026001][data-status=normal]');
          assert.match(await text(page, '[data-testid=student-status-2026001]'), /正常 36\.5 °C/);

          // Switched to English, the same refusal is English, still with no path.
          await page.click('[data-testid=lang]');
          await page.click('[data-testid=student-2026002]');
          thermo.next = { objectC: 85, ambientC: 22 };
          await page.click('[data-testid=measure]');
          await page.waitForSelector('[data-testid=health-message].error');
          const english = await text(page, '[data-testid=health-message]');
          assert.match(english, /^The reading 85 °C is not between 30 and 43 °C: measure again/);
          assert.doesNotMatch(english, /\/objectC|\p{Script=Han}/u);
          thermo.next = { objectC: 36.6, ambientC: 26 };
          await page.click('[data-testid=measure]');
          await page.waitForSelector('[data-testid=measured]');
          assert.match(
            await text(page, '[data-testid=measured]'),
            /^Temperature 36\.6 °CDoorway 26\.0 °C: no compensation/,
          );
          await assertTouchTargets(page);
        },
        `${WINDOW}
components:
  - { type: thermometer, name: door, port: ${JSON.stringify(port)} }
`,
      );
    } finally {
      await thermo.close();
      await pty?.close();
      dir.cleanup();
    }
  },
);

test(
  '日报: statuses, symptoms and reasons in Chinese, inside the kiosk with 返回 and 打印; printing is audited and prints to PDF',
  { timeout: 180_000 },
  async () => {
    await withAppliance(6, async (t, page) => {
      const h = t.appliance.health;
      const [a, b, c, d, e] = h.day('g2c3');
      h.recordCheck({ studentId: a!.studentId, tempRawC: 37.6, symptoms: [] }, 'user:test');
      h.recordCheck({ studentId: b!.studentId, tempRawC: 36.5, symptoms: ['diarrhoea', 'vomiting'] }, 'user:test');
      h.recordCheck({ studentId: c!.studentId, tempRawC: 36.4, symptoms: [] }, 'user:test');
      h.recordAbsence({ studentId: d!.studentId, reason: 'illness', symptoms: ['fever', 'diarrhoea'] }, 'user:test');
      h.recordAbsence({ studentId: e!.studentId, reason: 'personal' }, 'user:test');
      await openHealth(page, t);
      await assertTouchTargets(page);
      await page.click('[data-testid=open-report]');
      await page.waitForSelector('[data-testid=report-title]');
      assert.equal(page.url(), `${t.httpUrl}/#/health`, 'the report opens inside the kiosk, not in a new tab');
      assert.equal(browser.contexts().flatMap((x) => x.pages()).length, 1);
      const report = await text(page, '[data-testid=health-report]');
      assert.doesNotMatch(report, /absent|fever|diarrhoea|illness|pending|personal|vomiting|normal/i);
      assert.match(report, /晨检日报 · 二年级\(3\)班 · \d{4}-\d{2}-\d{2}/);
      assert.match(report, /生成时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
      assert.match(await text(page, `[data-testid=report-row-${a!.studentNo}]`), /待复测37\.6/);
      assert.match(await text(page, `[data-testid=report-row-${b!.studentNo}]`), /有症状36\.5腹泻、呕吐/);
      assert.match(await text(page, `[data-testid=report-row-${d!.studentNo}]`), /缺勤发热、腹泻病假/);
      assert.match(await text(page, `[data-testid=report-row-${e!.studentNo}]`), /缺勤事假/);
      assert.equal(await text(page, '[data-testid=report-back]'), '返回');
      assert.equal(await text(page, '[data-testid=report-print]'), '打印');
      await assertTouchTargets(page);

      // Chromium's print to PDF renders it (print stylesheet: the report only, black on white).
      const pdf = await page.pdf({ format: 'A4' });
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.ok(pdf.length > 5000, `a real page, ${pdf.length} bytes`);
      writeFileSync(join(OUT, 'health-report.pdf'), pdf);
      await page.screenshot({ path: join(OUT, 'health-report-1280x800.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      await page.screenshot({ path: join(OUT, 'health-report-print-media.png'), fullPage: true });
      assert.equal(await page.locator('.topbar').isVisible(), false, 'no top bar on paper');
      assert.equal(await page.locator('[data-testid=report-print]').isVisible(), false, 'no buttons on paper');
      const paper = await page.$eval(
        'body',
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el)
            .backgroundColor,
      );
      assert.equal(paper, 'rgb(255, 255, 255)');
      await page.emulateMedia({ media: 'screen' });

      // 打印 records the export, then asks the browser to print.
      await page.evaluate(() => {
        const w = globalThis as unknown as { printed: number; print: () => void };
        w.printed = 0;
        w.print = () => {
          w.printed++;
        };
      });
      await page.click('[data-testid=report-print]');
      await page.waitForFunction(() => (globalThis as unknown as { printed: number }).printed === 1);
      const audit = t.appliance.store.audit.list({ limit: 5, action: 'health.export' });
      assert.equal(audit[0]?.detail.format, 'print');
      assert.equal(audit[0]?.actor, `user:${TEACHER.username}`);

      await page.click('[data-testid=report-back]');
      await page.waitForSelector('[data-testid=health-summary]');
    });
  },
);

test(
  '病假: saving it says so in the notice bar and the card shows the reason at once',
  { timeout: 180_000 },
  async () => {
    await withAppliance(3, async (t, page) => {
      await openHealth(page, t);
      await page.click('[data-testid=student-2026001]');
      await page.click('[data-testid=symptom-fever]');
      await page.click('[data-testid=absent-illness]');
      await page.waitForSelector('[data-testid=notice]');
      assert.equal(await text(page, '[data-testid=notice]'), '已记录：王小明 病假（发热）');
      assert.equal(await text(page, '[data-testid=student-status-2026001]'), '病假');
      assert.equal(await page.getAttribute('[data-testid=student-2026001]', 'data-reason'), 'illness');
      assert.equal(await page.locator('[data-testid=check-panel]').count(), 0, 'the panel closed');

      await page.click('[data-testid=student-2026002]');
      await page.click('[data-testid=absent-personal]');
      await page.waitForSelector('[data-testid=notice]:has-text("李小明")');
      assert.equal(await text(page, '[data-testid=notice]'), '已记录：李小明 事假');
      assert.equal(await text(page, '[data-testid=student-status-2026002]'), '事假');
      assert.match(await text(page, '[data-testid=health-summary]'), /缺勤 2/);
      // Recorded on the appliance, not only on the screen.
      const absence = t.appliance.health.day('g2c3').find((s) => s.studentNo === '2026001')?.absence;
      assert.deepEqual([absence?.reason, absence?.symptoms], ['illness', ['fever']]);
    });
  },
);

test(
  'outbreak: one cluster is one banner (also after a reload); 已上报 marks it with who and when, survives a reload and is audited',
  { timeout: 180_000 },
  async () => {
    await withAppliance(8, async (t, page) => {
      const h = t.appliance.health;
      const students = h.day('g2c3');
      const today = h.today();
      const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      await openHealth(page, t);
      assert.equal(await page.locator('[data-testid=health-alert]').count(), 0);
      // One diarrhoea outbreak: one at home ill since yesterday, four at the door today (three in a
      // day, then five in three days), then the ill one back with the same complaint.
      h.recordAbsence(
        { studentId: students[0]!.studentId, day: yesterday, reason: 'illness', symptoms: ['diarrhoea'] },
        'user:test',
      );
      for (const s of students.slice(1, 5))
        h.recordCheck({ studentId: s.studentId, tempRawC: 36.5, symptoms: ['diarrhoea'] }, 'user:test');
      h.recordCheck({ studentId: students[0]!.studentId, tempRawC: 36.5, symptoms: ['diarrhoea'] }, 'user:test');
      await page.waitForSelector('[data-testid=health-alert][data-category=diarrhoea]');
      await page.waitForSelector('[data-testid=health-alert][data-signals*=","]');
      const signals = h.alerts();
      assert.equal(signals.length, 2, 'two rules met (3 in a day, 5 in 3 days) by one cluster');
      const banner = '[data-testid=health-alert]';
      assert.equal(await page.locator(banner).count(), 1, 'one cluster, one banner');
      const words = await text(page, banner);
      assert.match(words, /聚集性疫情信号：腹泻，共 5 例（首例 \d{4}-\d{2}-\d{2}）/);
      assert.match(words, /同一天 3 例以上相同症状、3 天内 5 例以上相同症状/);
      assert.match(words, /24 小时内报告疾控中心和教育局/);
      await page.screenshot({ path: join(OUT, 'health-signal-1280x800.png') });
      await page.reload();
      await page.waitForSelector(banner);
      assert.equal(await page.locator(banner).count(), 1, 'the signal survives a reload, once');
      await assertTouchTargets(page);

      await page.click('[data-testid=mark-reported-diarrhoea]');
      assert.match(await text(page, '[data-testid=mark-reported-diarrhoea-confirm]'), /确认已向疾控中心和教育局报告/);
      await page.click('[data-testid=mark-reported-diarrhoea-yes]');
      await page.waitForSelector(`${banner}[data-reported=yes]`);
      const reported = await text(page, '[data-testid=signal-reported]');
      assert.match(reported, /^已上报（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，李老师）$/);
      assert.match(await text(page, '[data-testid=notice]'), /^已记录上报：腹泻/);
      assert.equal(await page.locator('[data-testid=mark-reported-diarrhoea]').count(), 0);
      await page.screenshot({ path: join(OUT, 'health-signal-reported-1280x800.png') });

      await page.reload();
      await page.waitForSelector(`${banner}[data-reported=yes]`);
      assert.equal(await page.locator(banner).count(), 1);
      assert.equal(await text(page, '[data-testid=signal-reported]'), reported, 'still 已上报 after a reload');

      const audit = t.appliance.store.audit.list({ limit: 10, action: 'health.alert-reported' });
      assert.deepEqual(
        audit.map((r) => [r.actor, r.target, r.detail.category]),
        [
          [`user:${TEACHER.username}`, 'g2c3', 'diarrhoea'],
          [`user:${TEACHER.username}`, 'g2c3', 'diarrhoea'],
        ],
      );
      assert.deepEqual(audit.map((r) => r.detail.signal).sort(), signals.map((s) => s.id).sort());
    });
  },
);
