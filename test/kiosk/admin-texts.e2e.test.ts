import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { adminLogin } from '../helpers/admin-login.js';
import { startTestAppliance, seedAccounts, seedDevice, ADMIN, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { ROOT, tempDir } from '../helpers/env.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { parseRoster, importRoster } from '../../edge/health/roster.js';
import { rosterCsv } from '../helpers/roster.js';

/**
 * The admin console as an IT technician reads it (issue 23), in real Chromium against a real
 * appliance: refused logins, form problems and audit actions in Chinese words (English when
 * switched) with any code only beside them; the device-id field's own browser check; the devices
 * configured in the settings (Modbus sensors and relay boards, the panel, the door thermometer) with
 * their states; the student list's headings; 系统状态's states on one line at kiosk widths.
 */

const OUT = join(ROOT, 'test-output', 'screenshots');
const TIMEOUT = { timeout: 120_000 };
const HAN = /[\u4e00-\u9fff]/;
let browser: Browser;
before(async () => {
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});
after(async () => browser.close());

/** A page that records console errors and page errors, to be asserted empty at the end. */
async function newPage(width = 1440, height = 900): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // A refused request is the test's own doing; the browser logs it as a failed resource.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return { page, errors };
}

/** Submit the admin login and wait for the server's answer. */
async function tryLogin(page: Page, username: string, password: string): Promise<number> {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/session/admin')),
    page.click('[data-testid=admin-login]'),
  ]);
  return res.status();
}

const loginError = async (page: Page): Promise<string> => (await page.textContent('[data-testid=login-error]')) ?? '';

test(
  'admin login: a wrong password, a locked account and too many attempts from this address, in words',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance('auth: { maxFailedLogins: 3, lockoutMinutes: 15, sourceMaxFailedLogins: 4 }');
    const { page, errors } = await newPage();
    try {
      await seedAccounts(t);
      await page.goto(`${t.httpUrl}/admin`);
      await page.waitForSelector('[data-testid=admin-login]');
      assert.equal(await tryLogin(page, ADMIN.username, 'Wrong-Passw0rd!'), 401);
      assert.equal(await loginError(page), '用户名或密码不正确。');
      assert.equal(await tryLogin(page, ADMIN.username, 'Wrong-Passw0rd!'), 401);
      // The third wrong password locks the account: for how long, in minutes.
      assert.equal(await tryLogin(page, ADMIN.username, 'Wrong-Passw0rd!'), 423);
      assert.equal(await loginError(page), '密码连续输错次数过多，账号已锁定。请 15 分钟后再试。');
      assert.equal(await tryLogin(page, ADMIN.username, ADMIN.password), 423, 'locked: the right password waits too');
      // The fifth attempt from this address, whatever the account: the address waits.
      assert.equal(await tryLogin(page, 'someone-else', 'Wrong-Passw0rd!'), 429);
      const throttled = await loginError(page);
      assert.match(throttled, /^从这个地址登录的尝试次数过多。请 \d+ 分钟后再试。$/);
      await page.screenshot({ path: join(OUT, 'admin-login-throttled-1440x900.png') });
      // No code, status or English message of the server is shown.
      assert.doesNotMatch(throttled, /429|too_many|attempts|HTTP/);
      await page.click('[data-testid=lang]');
      assert.equal(await tryLogin(page, 'someone-else', 'Wrong-Passw0rd!'), 429);
      assert.match(await loginError(page), /^Too many login attempts from this address\. Try again in \d+ minutes\.$/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
    }
  },
);

test(
  "the device-id field: the browser's own check runs; the server's refusal is said in words, never as a regex",
  TIMEOUT,
  async () => {
    const t = await startTestAppliance();
    const { page, errors } = await newPage();
    const consoleText: string[] = [];
    page.on('console', (m) => consoleText.push(m.text()));
    try {
      await seedAccounts(t);
      await seedDevice(t, 'air-front');
      await adminLogin(page, `${t.httpUrl}/admin#/devices`);
      await page.waitForSelector('[data-testid=device-air-front]');
      // The kind in words, its code beside.
      assert.match((await page.textContent('[data-testid=device-air-front]')) ?? '', /传感器\s*sensor/);
      const id = '[data-testid=device-add] input[name=id]';
      const valid = (): Promise<boolean> =>
        page.$eval(id, (e) => (e as unknown as { checkValidity(): boolean }).checkValidity());
      await page.fill(id, 'Bad_ID!');
      assert.equal(await valid(), false, 'the browser refuses a bad id itself');
      await page.fill(id, 'ceiling-co2');
      assert.equal(await valid(), true);
      await page.fill(id, 'Bad_ID!');
      // The browser's check stops the form: nothing is sent.
      let posted = 0;
      page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/v1/devices') && posted++);
      await page.click('[data-testid=device-add-submit]');
      await page.waitForTimeout(300);
      assert.equal(posted, 0);
      assert.deepEqual(
        consoleText.filter((m) => /pattern|regular expression/i.test(m)),
        [],
        'no console message about an invalid pattern',
      );
      // Past the browser's check (as an old browser would send it), the server's refusal in words.
      await page.$eval('[data-testid=device-add]', (f) => {
        (f as unknown as { noValidate: boolean }).noValidate = true;
      });
      await page.click('[data-testid=device-add-submit]');
      await page.waitForSelector('[data-testid=error-id]');
      const said = (await page.textContent('[data-testid=error-id]')) ?? '';
      assert.equal(said, '设备编号只能用小写字母、数字和连字符，2–63 个字符，以字母或数字开头。');
      assert.doesNotMatch(said, /\[|\^|\$|\{|\\/, 'no regex in the text');
      // An id already registered: said as such.
      await page.fill(id, 'air-front');
      await page.click('[data-testid=device-add-submit]');
      await page.waitForSelector('[data-testid=error-id]:has-text("已经有编号为 air-front 的设备")');
      await page.screenshot({ path: join(OUT, 'admin-device-id-1440x900.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
    }
  },
);

test(
  'audit log: actions and actors in words with the code beside (管理员登录 login.admin, 教师 李老师), English when switched',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance();
    const { page, errors } = await newPage();
    try {
      await seedAccounts(t);
      const teacher = new ApiClient(t.httpUrl);
      await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
      await adminLogin(page, `${t.httpUrl}/admin#/audit`);
      await page.waitForSelector('[data-testid=audit-table] tr[data-action="login.admin"]');
      const rows = await page.$$eval('[data-testid=audit-table] tbody tr', (trs) =>
        trs.map((tr) => ({
          action: tr.getAttribute('data-action') ?? '',
          actionText: tr.querySelector('[data-testid=audit-action]')?.textContent ?? '',
          actorText: tr.querySelector('[data-testid=audit-actor]')?.textContent ?? '',
        })),
      );
      const row = (action: string) => rows.find((r) => r.action === action);
      assert.match(row('login.admin')?.actionText ?? '', /^管理员登录\s*login\.admin$/);
      assert.match(row('login.admin')?.actorText ?? '', /^管理员 it-admin\s*user:it-admin$/);
      assert.match(row('login.teacher')?.actionText ?? '', /^教师登录\s*login\.teacher$/);
      assert.match(row('login.teacher')?.actorText ?? '', /^教师 李老师\s*user:li$/);
      assert.match(row('appliance.start')?.actorText ?? '', /^系统\s*system$/);
      // Every action this version writes has its words: none falls back to "other".
      for (const r of rows) {
        assert.match(r.actionText, HAN, `${r.action}: ${r.actionText}`);
        assert.doesNotMatch(r.actionText, /其他操作/, r.action);
      }
      const results = await page.$$eval('[data-testid=audit-table] tbody td:last-child', (tds) =>
        tds.map((td) => td.textContent ?? ''),
      );
      assert.ok(
        results.every((r) => r === '成功'),
        results.join(','),
      );
      await page.screenshot({ path: join(OUT, 'admin-audit-1440x900.png') });
      await page.click('[data-testid=lang]');
      await page.waitForSelector('[data-testid=audit-table] tr[data-action="login.admin"] :text("Admin login")');
      assert.match(
        (await page.textContent(
          '[data-testid=audit-table] tr[data-action="login.teacher"] [data-testid=audit-actor]',
        )) ?? '',
        /^Teacher 李老师/,
      );
      await page.click('[data-testid=lang]');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
    }
  },
);

test(
  '设备: the Modbus sensors and relay board of a bus, the panel and the door thermometer of the settings, each with its state',
  TIMEOUT,
  async () => {
    const dir = tempDir('classedge-e2e-devices-');
    const pty = await openPtyPair(dir.path);
    const thermo = new ThermometerSim();
    await thermo.listen(pty.b);
    // Address 9 is configured but nothing answers there: one sensor offline.
    const t = await startTestAppliance(`components:
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(join(dir.path, 'bus'))}
    slaves:
      - { address: 1, profile: jxct-gas }
    relays:
      - { address: 10, board: coil-relay-8 }
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'bus', 'appliance'))}
    pollIntervalMs: 300
    responseTimeoutMs: 150
    retries: 1
    offlineAfterFailures: 2
    offlinePollIntervalMs: 1000
    lineQuietTimeoutMs: 200
    devices:
      - { address: 1, profile: jxct-gas }
      - { address: 9, profile: jxct-gas }
    relays:
      - address: 10
        board: coil-relay-8
        id: relays-a
        channels:
          - { relay: 1, id: fresh-air }
  - type: display-sim
    name: panel-sim
    family: hitevision
    ptyDir: ${JSON.stringify(join(dir.path, 'panel'))}
  - type: display
    name: panel
    family: hitevision
    port: ${JSON.stringify(join(dir.path, 'panel', 'appliance'))}
    schedule: { enabled: false }
  - { type: thermometer, name: door, port: ${JSON.stringify(join(dir.path, 'appliance'))} }
`);
    const { page, errors } = await newPage(1280, 800);
    try {
      await seedAccounts(t);
      await seedDevice(t, 'air-front');
      await adminLogin(page, `${t.httpUrl}/admin#/devices`);
      await page.waitForSelector('[data-testid=device-air-front]');
      const row = (id: string) => `[data-testid=configured-${id}]`;
      await page.waitForSelector(`${row('bus-1')}[data-state=online]`, { timeout: 15_000 });
      await page.waitForSelector(`${row('bus-9')}[data-state=offline]`, { timeout: 15_000 });
      await page.waitForSelector(`${row('relays-a')}[data-state=online]`, { timeout: 15_000 });
      await page.waitForSelector(`${row('panel')}[data-state=online]`, { timeout: 15_000 });
      await page.waitForSelector(`${row('door')}[data-state=online]`, { timeout: 15_000 });
      const text = async (id: string): Promise<string> => (await page.textContent(row(id))) ?? '';
      assert.match(
        await text('bus-1'),
        /Modbus 传感器.*型号 jxct-gas.*Modbus 总线 bus，地址 1.*在线.*组件 bus（第 2 项）/,
      );
      assert.match(await text('bus-9'), /Modbus 总线 bus，地址 9.*离线/);
      assert.match(await text('relays-a'), /继电器板.*型号 coil-relay-8.*地址 10.*在线.*1 号继电器 → fresh-air/);
      assert.match(await text('panel'), /交互大屏.*hitevision.*串口 .*appliance.*在线.*组件 panel（第 4 项）/);
      assert.match(await text('door'), /门口测温仪.*串口 .*appliance.*在线.*组件 door（第 5 项）/);
      // Where they are configured: the settings file, by its path; the simulators are not devices.
      const help = (await page.textContent('[data-testid=configured-devices] p.hint')) ?? '';
      assert.ok(help.includes(join(t.dataDir, 'config.yaml')), help);
      assert.match(help, /只读/);
      assert.equal(await page.$(row('sim')), null);
      assert.equal(await page.$(row('panel-sim')), null);
      await page.screenshot({ path: join(OUT, 'admin-devices-configured-1280x800.png'), fullPage: true });
      // The states stay on one line.
      const heights = await stateHeights(page, '.device-state > span');
      for (const h of heights) assert.ok(h.height <= 1.5 * h.lineHeight, `${h.text}: ${h.height} px`);
      await page.click('[data-testid=lang]');
      await page.waitForSelector(`${row('bus-9')}:has-text("Offline")`);
      assert.match(await text('door'), /Door thermometer.*Online/);
      await page.click('[data-testid=lang]');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
      await thermo.close();
      await pty.close();
      dir.cleanup();
    }
  },
);

test(
  '学生名单: the roster under column headings; a refused file is told by line and column in words',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance();
    const dir = tempDir('classedge-e2e-roster-words-');
    const { page, errors } = await newPage();
    try {
      await seedAccounts(t);
      importRoster(t.appliance.store, parseRoster(Buffer.from(rosterCsv(3))).rows);
      await adminLogin(page, `${t.httpUrl}/admin#/students`);
      await page.waitForSelector('[data-testid=students-table] tbody tr');
      const headings = await page.$$eval('[data-testid=students-table] thead th', (ths) =>
        ths.map((th) => th.textContent ?? ''),
      );
      assert.deepEqual(headings, ['班级', '学号', '姓名', '卡号', '状态', '']);
      const first = await page.$$eval('[data-testid=students-table] tbody tr:first-child td', (tds) =>
        tds.map((td) => td.textContent ?? ''),
      );
      assert.equal(first.length, headings.length, 'one heading per column');
      assert.match(first[1] ?? '', /^\d+$/, 'the student number under 学号');
      const bad = join(dir.path, 'bad.csv');
      writeFileSync(bad, `${rosterCsv(2)}g2c3,二年级(3)班,2026001,王小明,XYZ,\n`);
      await page.setInputFiles('[data-testid=roster-upload] input', bad);
      await page.waitForSelector('[data-testid=roster-note].error');
      const note = (await page.textContent('[data-testid=roster-note]')) ?? '';
      assert.match(note, /第 4 行，学号（student_no）：与前面某一行重复/);
      assert.match(note, /第 4 行，卡号（card_id）：卡号须为 4–32 位十六进制数字/);
      assert.doesNotMatch(note, /line \d|expected|letters/);
      await page.screenshot({ path: join(OUT, 'admin-students-1440x900.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
      dir.cleanup();
    }
  },
);

/**
 * The height of each matched element (a state cell's word) against its line height: a word broken
 * one character per line is several lines high. (The cell itself is as high as its row.)
 */
function stateHeights(page: Page, selector: string): Promise<{ text: string; height: number; lineHeight: number }[]> {
  type El = { textContent: string | null; getBoundingClientRect(): { height: number } };
  type Win = { getComputedStyle(e: unknown): { lineHeight: string; fontSize: string } };
  return page.$$eval(selector, (els) =>
    (els as unknown as El[]).map((e) => {
      const style = (globalThis as unknown as Win).getComputedStyle(e);
      const lh = parseFloat(style.lineHeight);
      return {
        text: e.textContent ?? '',
        height: e.getBoundingClientRect().height,
        lineHeight: Number.isFinite(lh) ? lh : 1.2 * parseFloat(style.fontSize),
      };
    }),
  );
}

test(
  '系统状态: every state word stays on one line at kiosk widths; component kinds in words, the code beside',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance();
    const { page, errors } = await newPage(1280, 800);
    try {
      await seedAccounts(t);
      await adminLogin(page, `${t.httpUrl}/admin#/status`);
      await page.waitForSelector('[data-testid=component-broker]');
      assert.match((await page.textContent('[data-testid=kind-broker]')) ?? '', /^MQTT 服务器\s*mqtt-broker$/);
      for (const width of [1280, 1024, 800]) {
        await page.setViewportSize({ width, height: 800 });
        await page.waitForTimeout(200);
        const cells = await stateHeights(page, '[data-testid=components] td.state-cell > span');
        assert.ok(cells.length >= 8, `${cells.length} components`);
        for (const c of cells)
          assert.ok(
            c.height <= 1.5 * c.lineHeight,
            `${width} px: "${c.text}" is ${c.height} px for ${c.lineHeight} px lines`,
          );
        // No kind is shown by its code alone, nor under the catch-all word.
        const kinds = await page.$$eval('[data-testid^=kind-]', (els) => els.map((e) => e.textContent ?? ''));
        for (const k of kinds) {
          assert.match(k, HAN, k);
          assert.doesNotMatch(k, /^组件\s/, k);
        }
      }
      await page.screenshot({ path: join(OUT, 'admin-status-800x800.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
    }
  },
);
