import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { adminLogin } from '../helpers/admin-login.js';
import { startDemo } from '../helpers/demo.js';
import {
  startTestAppliance,
  seedAccounts,
  seedDevice,
  ADMIN,
  TEACHER,
  type TestAppliance,
  storedReadings,
} from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { ApiClient } from '../helpers/api-client.js';
import { ROOT, freePort, tempDir } from '../helpers/env.js';
import { KIOSK_DIST } from '../../edge/api/kiosk-static.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { parseRoster, importRoster } from '../../edge/health/roster.js';
import { rosterCsv } from '../helpers/roster.js';
import { withDbFile } from '../helpers/sqlite.js';

function importRosterFor(t: TestAppliance, n: number): void {
  importRoster(t.appliance.store, parseRoster(Buffer.from(rosterCsv(n))).rows);
}

const OUT = join(ROOT, 'test-output', 'screenshots');
let browser: Browser;
before(async () => {
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});
after(async () => browser.close());

async function teacherLogin(page: Page, url: string, pin = TEACHER.pin): Promise<void> {
  await page.goto(url);
  await page.click(`[data-testid=teacher-${TEACHER.username}]`);
  for (const d of pin) await page.click(`[data-testid=pin-${d}]`);
  await page.click('[data-testid=pin-ok]');
}

async function publish(
  t: TestAppliance,
  creds: { username: string; password: string },
  metrics: Record<string, number>,
): Promise<void> {
  const c = await connect(t.mqttUrl, { username: creds.username, password: creds.password });
  await c.publishAsync(`classedge/dev/${creds.username}/reading`, JSON.stringify({ metrics }), { qos: 1 });
  await c.endAsync();
}

test('teacher: PIN login, a published reading appears live, home is one tap away, screenshots at two sizes', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await seedAccounts(t);
    const dev = await seedDevice(t, 'air-front');
    await teacherLogin(page, t.httpUrl);
    await page.waitForSelector('[data-testid=conn][data-connected=true]');
    await publish(t, dev, { co2_ppm: 1111, temperature_c: 24.5, humidity_pct: 51, pm25_ugm3: 12 });
    await page.waitForSelector('[data-testid=tile-co2_ppm][data-value="1111"]', { timeout: 5000 });
    assert.match((await page.textContent('[data-testid=tile-co2_ppm]')) ?? '', /1111\s*ppm/);
    await page.waitForSelector('[data-testid=components][data-running~=broker]');
    // Every touch target on the screen is at least 48 px.
    const small = await page.$$eval('button', (bs) =>
      bs
        .filter((b) => b.getBoundingClientRect().height < 48 || b.getBoundingClientRect().width < 48)
        .map((b) => b.textContent),
    );
    assert.deepEqual(small, []);
    await page.click('[data-testid=home]');
    assert.match(page.url(), /#\/$|:\d+\/$/);
    await page.screenshot({ path: join(OUT, 'home-1920x1080.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(OUT, 'home-1280x800.png') });
    assert.ok(readFileSync(join(OUT, 'home-1280x800.png')).length > 10_000);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await t.stop();
  }
});

test('a room is one place: 主页 and 教室环境 show the same value per quantity (worst CO₂, mean temperature), coloured by the alerts', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const room = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await seedAccounts(t);
    const front = await seedDevice(t, 'air-front');
    const back = await seedDevice(t, 'air-back');
    await publish(t, front, { co2_ppm: 820, temperature_c: 22 });
    await publish(t, back, { co2_ppm: 1350, temperature_c: 24 });
    await teacherLogin(page, t.httpUrl);
    await page.waitForSelector('[data-testid=tile-co2_ppm][data-value="1350"][data-sensors="2"]', { timeout: 5000 });
    await page.waitForSelector('[data-testid=tile-temperature_c][data-value="23"]');
    await page.waitForSelector('[data-testid=tile-co2_ppm][data-status=alert]');
    await teacherLogin(room, `${t.httpUrl}/#/room`);
    await room.waitForSelector('[data-testid=room-co2_ppm][data-value="1350"][data-status=alert]', { timeout: 5000 });
    await room.waitForSelector('[data-testid=room-temperature_c][data-value="23"]');
    // A new reading moves both screens to the same new value.
    await publish(t, back, { co2_ppm: 700, temperature_c: 25 });
    await page.waitForSelector('[data-testid=tile-co2_ppm][data-value="820"]', { timeout: 5000 });
    await room.waitForSelector('[data-testid=room-co2_ppm][data-value="820"]', { timeout: 5000 });
    await page.waitForSelector('[data-testid=tile-temperature_c][data-value="23.5"]');
    await room.waitForSelector('[data-testid=room-temperature_c][data-value="23.5"]');
    await page.screenshot({ path: join(OUT, 'home-one-value-1280x800.png') });
  } finally {
    await page.close();
    await room.close();
    await t.stop();
  }
});

test('teacher: the panel marks data stale when the appliance stops, and reconnects by itself', async () => {
  const dir = tempDir();
  const httpPort = await freePort();
  let t = await startTestAppliance('', { keepDir: dir.path, httpPort });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await seedAccounts(t);
    const dev = await seedDevice(t, 'air-back');
    await teacherLogin(page, t.httpUrl);
    await page.waitForSelector('[data-testid=conn][data-connected=true]');
    await publish(t, dev, { co2_ppm: 777 });
    await page.waitForSelector('[data-testid=tile-co2_ppm][data-value="777"]');
    await t.appliance.stop();
    await page.waitForSelector('[data-testid=stale-banner]', { timeout: 5000 });
    await page.waitForSelector('[data-testid=conn][data-connected=false]');
    // The last known value stays on screen, marked.
    assert.equal(await page.getAttribute('[data-testid=tile-co2_ppm]', 'class'), 'tile stale');
    assert.equal(await page.getAttribute('[data-testid=tile-co2_ppm]', 'data-value'), '777');
    await page.screenshot({ path: join(OUT, 'home-stale-1280x800.png') });
    t = await startTestAppliance('', { keepDir: dir.path, httpPort });
    await page.waitForSelector('[data-testid=conn][data-connected=true]', { timeout: 15_000 });
    assert.equal(await page.$('[data-testid=stale-banner]'), null);
  } finally {
    await page.close();
    await t.stop();
    dir.cleanup();
  }
});

test('teacher: five wrong PINs lock the panel', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage();
  try {
    await seedAccounts(t);
    await page.goto(t.httpUrl);
    await page.click(`[data-testid=teacher-${TEACHER.username}]`);
    for (let i = 0; i < 5; i++) {
      for (const d of '000001') await page.click(`[data-testid=pin-${d}]`);
      await page.click('[data-testid=pin-ok]');
      if (i < 4) await page.waitForSelector('[data-testid=login-error]');
    }
    await page.waitForSelector('[data-testid=panel-locked]');
    // Reloading does not unlock the panel; neither does the right PIN at the API.
    await page.reload();
    await page.waitForSelector('[data-testid=panel-locked]');
    const r = await fetch(`${t.httpUrl}/api/v1/session/teacher`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: TEACHER.username, pin: TEACHER.pin }),
    });
    assert.equal(r.status, 423);
  } finally {
    await page.close();
    await t.stop();
  }
});

test('teacher: the language switch changes every label and is remembered', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage();
  try {
    await seedAccounts(t);
    await teacherLogin(page, t.httpUrl);
    await page.waitForSelector('[data-testid=home]');
    assert.match((await page.textContent('[data-testid=home]')) ?? '', /主页/);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.click('[data-testid=lang]');
    assert.match((await page.textContent('[data-testid=home]')) ?? '', /Home/);
    assert.match((await page.textContent('main')) ?? '', /Classroom environment/);
    await page.reload();
    await page.waitForSelector('[data-testid=home]');
    assert.match((await page.textContent('[data-testid=home]')) ?? '', /Home/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
  } finally {
    await page.close();
    await t.stop();
  }
});

test('teacher: inactivity returns to the login and ends the session', async () => {
  const t = await startTestAppliance('kiosk: { idleLockSeconds: 30 }');
  const page = await browser.newPage();
  try {
    await seedAccounts(t);
    await page.clock.install();
    await teacherLogin(page, t.httpUrl);
    await page.waitForSelector('[data-testid=home]');
    await page.clock.fastForward(31_000);
    await page.waitForSelector(`[data-testid=teacher-${TEACHER.username}]`);
    const s = (await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))) as { authenticated: boolean };
    assert.equal(s.authenticated, false);
  } finally {
    await page.close();
    await t.stop();
  }
});

test('admin: first-run setup, then login, add a device whose shown credentials work, remove it', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await page.goto(`${t.httpUrl}/admin`);
    await page.waitForSelector('[data-testid=setup]');
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', 'weak');
    await page.click('[data-testid=setup-create]');
    await page.waitForSelector('[data-testid=error-password]');
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('[data-testid=setup-create]');
    await page.waitForSelector('[data-testid=admin-login]');
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('[data-testid=admin-login]');
    await page.waitForSelector('[data-testid=devices-table]');
    await page.fill('[data-testid=device-add] input[name=id]', 'ceiling-co2');
    await page.selectOption('[data-testid=device-add] select[name=kind]', 'sensor');
    await page.click('[data-testid=device-add-submit]');
    await page.waitForSelector('[data-testid=device-creds]');
    const username = (await page.textContent('[data-testid=creds-username]')) ?? '';
    const password = (await page.textContent('[data-testid=creds-password]')) ?? '';
    await page.screenshot({ path: join(OUT, 'admin-device-added-1440x900.png') });
    await page.click('[data-testid=creds-done]');
    await page.waitForSelector('[data-testid=device-ceiling-co2]');
    assert.equal(await page.$('[data-testid=creds-password]'), null, 'the password is gone once closed');
    await publish(t, { username, password }, { co2_ppm: 640 });
    assert.equal(storedReadings(t).query({ deviceId: 'ceiling-co2', limit: 5 })[0]?.value, 640);
    await page.click('[data-testid=remove-ceiling-co2]');
    await page.click('[data-testid=confirm-remove-ceiling-co2]');
    await page.waitForSelector('[data-testid=device-ceiling-co2]', { state: 'detached' });
    await assert.rejects(connect(t.mqttUrl, { username, password }));
  } finally {
    await page.close();
    await t.stop();
  }
});

test('admin pages: users, audit log, system status and the diagnostic capture work from the API', async () => {
  const t = await startTestAppliance();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await seedAccounts(t);
    await adminLogin(page, `${t.httpUrl}/admin#/users`);
    await page.waitForSelector(`[data-testid=user-${TEACHER.username}]`);
    await page.fill('[data-testid=user-add] input[name=username]', 'sun');
    await page.fill('[data-testid=user-add] input[name=displayName]', '孙老师');
    await page.fill('[data-testid=user-add] input[name=secret]', '123456');
    await page.click('[data-testid=user-add-submit]');
    await page.waitForSelector('[data-testid=user-add] .field-error');
    await page.fill('[data-testid=user-add] input[name=secret]', '864209');
    await page.click('[data-testid=user-add-submit]');
    await page.waitForSelector('[data-testid=user-sun]');
    await page.click('[data-testid=nav-audit]');
    await page.waitForSelector('[data-testid=audit-table] td:has-text("user.add")');
    await page.click('[data-testid=nav-status]');
    await page.waitForSelector('[data-testid=broker-clients]');
    await page.screenshot({ path: join(OUT, 'admin-status-1440x900.png') });
    // The diagnostic capture: on for a minute, shown on, off again; both switches in the audit log.
    await page.click('[data-testid=nav-capture]');
    await page.fill('[data-testid=capture-minutes]', '1');
    await page.click('[data-testid=capture-start]');
    await page.waitForSelector('[data-testid=capture-on]');
    assert.equal(t.appliance.capture.active, true);
    await page.click('[data-testid=capture-stop]');
    await page.waitForSelector('[data-testid=capture-start]');
    const actions = withDbFile(
      t.dataDir,
      (db) =>
        db.prepare("SELECT action FROM audit_log WHERE action LIKE 'analysis.capture%' ORDER BY id").all() as {
          action: string;
        }[],
    ).map((a) => a.action);
    assert.deepEqual(actions, ['analysis.capture.start', 'analysis.capture.stop']);
  } finally {
    await page.close();
    await t.stop();
  }
});

test("demo mode: the kiosk shows the simulated sensor live within 2 s of login, and the demo lesson's talk time, S-T curve and head-up line moving", async () => {
  const demo = await startDemo(60_000);
  const kiosk = demo.url;
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await page.goto(kiosk);
    await page.click('[data-testid=teacher-teacher]');
    for (const d of '258036') await page.click(`[data-testid=pin-${d}]`);
    const t0 = Date.now();
    await page.click('[data-testid=pin-ok]');
    await page.waitForSelector('[data-testid=tile-co2_ppm]', { timeout: 2000 });
    assert.ok(Date.now() - t0 < 2000);
    await page.waitForSelector('[data-testid=components][data-running~=demo-air-sensor]', { timeout: 2000 });
    // The six Modbus sensors of the simulated RS-485 bus are behind the room's tiles too: one tile a
    // quantity, with every sensor that measures it (the Wi-Fi node's four and the bus's).
    for (const [m, n] of [
      ['co2_ppm', 2],
      ['pm25_ugm3', 2],
      ['temperature_c', 3],
      ['humidity_pct', 3],
      ['noise_dba', 1],
      ['illuminance_lx', 1],
    ] as const) {
      await page.waitForSelector(`[data-testid=tile-${m}][data-sensors="${n}"]`, { timeout: 8000 });
    }
    await page.click('[data-testid=tile-temperature_c]');
    assert.match((await page.textContent('[data-testid=tile-temperature_c-sensors]')) ?? '', /modbus-3.*modbus-4/s);
    // And the simulated panel answers the teacher.
    await page.click('[data-testid=tab-display]');
    await page.waitForSelector('[data-testid=display-panel]');
    await page.click('[data-testid=power-on]');
    await page.waitForSelector('[data-testid=display-panel][data-power=on]', { timeout: 5000 });
    assert.match((await page.textContent('[data-testid=notice]')) ?? '', /开机指令/);
    // 关 asks first; once off, the other controls wait for it to be on again.
    await page.click('[data-testid=power-off]');
    await page.click('[data-testid=power-off-yes]');
    await page.waitForSelector('[data-testid=display-panel][data-power=off]', { timeout: 5000 });
    assert.equal(await page.isDisabled('[data-testid=volume-up]'), true);
    await page.waitForSelector('[data-testid=display-off-hint]');
    // The door station: the demo class, and the simulated thermometer answering.
    await page.click('[data-testid=tab-health]');
    await page.waitForSelector('[data-testid=student-D001]');
    assert.equal((await page.$$('[data-testid^=student-D]')).length, 30);
    await page.click('[data-testid=student-D030]');
    await page.click('[data-testid=measure]');
    await page.waitForSelector('[data-testid=measured]', { timeout: 5000 });
    // The demo lesson: the replayed recording moves the talk-time bar, the S-T curve draws itself
    // and the head-up line grows from the simulated camera node's snapshots.
    await page.click('[data-testid=tab-lesson]');
    await page.waitForSelector('[data-testid=lesson-live]');
    // Wait until a numeric data attribute exceeds a value (evaluated in the page).
    // (A function, not a string: the kiosk's CSP forbids eval.)
    type Doc = { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } };
    const above = (sel: string, name: string, min: number, timeout: number) =>
      page.waitForFunction(
        ([s, n, m]) =>
          Number((globalThis as unknown as Doc).document.querySelector(s as string)?.getAttribute(n as string)) >
          (m as number),
        [sel, name, min] as const,
        { timeout },
      );
    await above('[data-testid=talk-bar]', 'data-teacher', 0, 20_000);
    await above('[data-testid=st-curve]', 'data-points', 2, 40_000);
    await above('[data-testid=headup-line]', 'data-points', 1, 40_000);
    await above(
      '[data-testid=st-curve]',
      'data-points',
      Number(await page.getAttribute('[data-testid=st-curve]', 'data-points')),
      20_000,
    );
    // Counts as counts, with where the number present comes from (the demo's check is not complete: the class size).
    assert.match((await page.textContent('[data-testid=headup-now]')) ?? '', /抬头 \d+ 人 · 在场 30 人（按班额/);
    // Named by the timetable's period (or as outside it), never by the database's lesson number.
    assert.match(
      (await page.textContent('[data-testid=lesson-title]')) ?? '',
      /^(第 \d 节（\d\d:\d\d–\d\d:\d\d）|课表以外的课（\d\d:\d\d 开始）) · 已进行/,
    );
    // 下课 asks first; 取消 leaves the lesson running.
    await page.click('[data-testid=lesson-end]');
    await page.waitForSelector('[data-testid=lesson-end-confirm]');
    await page.click('[data-testid=lesson-end-no]');
    await page.waitForSelector('[data-testid=lesson-live]');
    await page.screenshot({ path: join(OUT, 'lesson-1920x1080.png') });
  } finally {
    await page.close();
    await demo.stop();
  }
});

test('the kiosk bundle carries no secrets and no inline script', () => {
  const files = readdirSync(join(KIOSK_DIST, 'assets')).map((f) => readFileSync(join(KIOSK_DIST, 'assets', f), 'utf8'));
  const html = readFileSync(join(KIOSK_DIST, 'index.html'), 'utf8');
  for (const text of [html, ...files]) {
    assert.doesNotMatch(text, /Demo-Admin-2026|258036|scrypt\$|BEGIN (EC |RSA )?PRIVATE KEY/);
  }
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script> (the CSP would block it)');
  assert.doesNotMatch(html, /<style|style="/, 'no inline style');
});

test('environment: a CO2 rise on a Modbus sensor raises "open the windows" in the kiosk within one poll plus 1 s, and clears with hysteresis', async () => {
  const dir = tempDir('classedge-e2e-bus-');
  const slaves = '      - { address: 1, profile: jxct-gas }\n      - { address: 6, profile: jxct-light }';
  const t = await startTestAppliance(`components:
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(dir.path)}
    slaves:
${slaves}
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'appliance'))}
    pollIntervalMs: 1000
    devices:
${slaves}
`);
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await seedAccounts(t);
    const sim = (
      t.appliance.registry.get('sim') as unknown as { sim: { setValue(a: number, m: string, v: number): void } }
    ).sim;
    sim.setValue(1, 'co2_ppm', 650);
    await teacherLogin(page, `${t.httpUrl}/#/room`);
    await page.waitForSelector('[data-testid=room-co2_ppm][data-status=ok]');
    await page.waitForSelector('[data-testid=no-alerts]');
    const t0 = Date.now();
    sim.setValue(1, 'co2_ppm', 1350);
    await page.waitForSelector('[data-testid=alert-co2-ventilate-now]', { timeout: 2000 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed <= 2000, `alert after ${elapsed} ms`);
    assert.match((await page.textContent('[data-testid=alert-co2-ventilate-now]')) ?? '', /开窗通风/);
    await page.waitForSelector('[data-testid=room-co2_ppm][data-status=alert]');
    await page.screenshot({ path: join(OUT, 'room-alert-1920x1080.png') });
    // Back under the level but inside the hysteresis band: the alert stays.
    sim.setValue(1, 'co2_ppm', 960);
    await page.waitForTimeout(2500);
    assert.notEqual(await page.$('[data-testid=alert-co2-ventilate-now]'), null);
    sim.setValue(1, 'co2_ppm', 780);
    await page.waitForSelector('[data-testid=alert-co2-ventilate-now]', { state: 'detached', timeout: 3000 });
    await page.waitForSelector('[data-testid=desk-check][data-ok=true]');
    const [record] = t.appliance.store.envAlerts.recent(1);
    assert.ok(record?.endedAt !== undefined && record.peak >= 1300, JSON.stringify(record));
    // IT staff see the bus, its sensors and the raw frames on the wire.
    const admin = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await adminLogin(admin, `${t.httpUrl}/admin#/modbus`);
    await admin.waitForSelector('[data-testid=slave-bus-1]:has-text("jxct-gas")');
    await admin.waitForSelector('[data-testid=modbus-frames]:has-text("tx 01 03 00 05 00 02")', { timeout: 5000 });
    await admin.screenshot({ path: join(OUT, 'admin-modbus-1440x900.png') });
    await admin.close();
  } finally {
    await page.close();
    await t.stop();
    dir.cleanup();
  }
});

test('panel control: the teacher presses power and volume on the kiosk and the panel follows; a screen-time reminder shows', async () => {
  const dir = tempDir('classedge-e2e-panel-');
  const t = await startTestAppliance(`components:
  - type: display-sim
    name: panel-sim
    family: hitevision
    ptyDir: ${JSON.stringify(dir.path)}
  - type: display
    name: panel
    family: hitevision
    port: ${JSON.stringify(join(dir.path, 'appliance'))}
    schedule: { enabled: false }
`);
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await seedAccounts(t);
    const sim = (
      t.appliance.registry.get('panel-sim') as unknown as { sim: { state: { power: boolean; volume: number } } }
    ).sim;
    await teacherLogin(page, `${t.httpUrl}/#/display`);
    await page.waitForSelector('[data-testid=display-panel][data-power=off]');
    await page.click('[data-testid=power-on]');
    await page.waitForSelector('[data-testid=display-panel][data-power=on]');
    assert.equal(sim.state.power, true);
    await page.click('[data-testid=volume-up]');
    await page.waitForSelector('[data-testid=display-panel][data-volume="35"]');
    await page.click('[data-testid=volume-up]');
    await page.waitForSelector('[data-testid=display-panel][data-volume="40"]');
    assert.equal(sim.state.volume, 40);
    await page.click('[data-testid=source-whiteboard]');
    await page.waitForSelector('[data-testid=source-whiteboard].primary');
    t.appliance.bus.safeEmit('display.reminder', { name: 'panel', lesson: 2, share: 0.34, limit: 0.3 });
    await page.waitForSelector('[data-testid=screen-reminder]:has-text("34%")');
    await page.screenshot({ path: join(OUT, 'display-1920x1080.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await t.stop();
    dir.cleanup();
  }
});

test('the whole morning at the door: 30 students by card, two fevers (one clears on re-measure), symptoms, absences; the report matches', async () => {
  const dir = tempDir('classedge-e2e-door-');
  const pty = await openPtyPair(dir.path);
  const thermo = new ThermometerSim();
  await thermo.listen(pty.b);
  const t = await startTestAppliance(`health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }
components:
  - { type: thermometer, name: door, port: ${JSON.stringify(join(dir.path, 'appliance'))} }
`);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await seedAccounts(t);
    importRosterFor(t, 30);
    const reader = await seedDevice(t, 'door-reader');
    const card = await connect(t.mqttUrl, { username: reader.username, password: reader.password });
    const students = t.appliance.health.day('g2c3');
    await teacherLogin(page, `${t.httpUrl}/#/health`);
    await page.waitForSelector('[data-testid=health-summary]');
    const tap = async (i: number): Promise<void> => {
      const s = students[i]!;
      await card.publishAsync('classedge/dev/door-reader/card', JSON.stringify({ card: s.cardId }), { qos: 1 });
      await page.waitForSelector(`[data-testid=check-panel][data-student="${s.studentNo}"]`);
    };
    const checkOne = async (i: number, tempC: number, symptoms: string[] = []): Promise<string> => {
      await tap(i);
      thermo.next = { objectC: tempC, ambientC: 25 };
      await page.click('[data-testid=measure]');
      await page.waitForSelector('[data-testid=measured]');
      for (const s of symptoms) await page.click(`[data-testid=symptom-${s}]`);
      const tile = `[data-testid=student-${students[i]!.studentNo}]`;
      const before = (await page.getAttribute(tile, 'data-status')) ?? '';
      await page.click('[data-testid=save-check]');
      // Saved when the student's tile changes (unchecked -> a result; pending -> confirmed or cleared).
      await page.waitForSelector(`${tile}:not([data-status="${before}"])`);
      return (await page.getAttribute(tile, 'data-status')) ?? '';
    };
    for (let i = 0; i < 28; i++) {
      const temp = i === 3 ? 37.8 : i === 7 ? 37.5 : 36.4 + (i % 5) / 10;
      const symptoms = i === 10 ? ['cough'] : i === 11 ? ['rash', 'fatigue'] : [];
      const status = await checkOne(i, temp, symptoms);
      if (i === 3 || i === 7) {
        assert.equal(status, 'fever-pending', `student ${i}`);
        assert.match((await page.textContent('[data-testid=health-message].warn')) ?? '', /复测|measure again/);
      }
    }
    // Re-measure the two fevers: one stays high, one was the cold doorway.
    assert.equal(await checkOne(3, 37.9), 'fever-confirmed');
    assert.match((await page.textContent('[data-testid=health-message]')) ?? '', /隔离|keep apart/);
    assert.equal(await checkOne(7, 36.9), 'fever-cleared');
    // Two did not come: one ill, one with a note from home.
    await page.click(`[data-testid=student-${students[28]!.studentNo}]`);
    await page.click('[data-testid=symptom-fever]');
    await page.click('[data-testid=absent-illness]');
    await page.waitForSelector(`[data-testid=student-${students[28]!.studentNo}][data-status=absent]`);
    await page.click(`[data-testid=student-${students[29]!.studentNo}]`);
    await page.click('[data-testid=absent-personal]');
    await page.waitForSelector(`[data-testid=student-${students[29]!.studentNo}][data-status=absent]`);
    await page.screenshot({ path: join(OUT, 'health-check-1280x800.png') });
    assert.match((await page.textContent('[data-testid=health-summary]')) ?? '', /28\/30/);
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const r = (await api.get('/api/v1/health/report')).body;
    assert.deepEqual(
      [
        r.enrolled,
        r.checked,
        r.fever.confirmed,
        r.fever.cleared,
        r.fever.pending,
        r.withSymptoms,
        r.absent.illness,
        r.absent.personal,
        r.absent.unexplained,
      ],
      [30, 28, 1, 1, 0, 2, 1, 1, 0],
    );
    assert.deepEqual(r.symptoms, { cough: 1, rash: 1, fatigue: 1 });
    card.end(true);
  } finally {
    await page.close();
    await t.stop();
    await thermo.close();
    await pty.close();
    dir.cleanup();
  }
});

test('admin: import the roster CSV from the console; a bad file is refused by line; opening a record is audited', async () => {
  const t = await startTestAppliance();
  const dir = tempDir('classedge-e2e-roster-');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await seedAccounts(t);
    const good = join(dir.path, 'roster.csv');
    const bad = join(dir.path, 'bad.csv');
    writeFileSync(good, rosterCsv(5));
    writeFileSync(bad, `${rosterCsv(2)}g2c3,二年级(3)班,,无名,,\n`);
    await adminLogin(page, `${t.httpUrl}/admin#/students`);
    await page.waitForSelector('[data-testid=roster-upload]');
    await page.setInputFiles('[data-testid=roster-upload] input', bad);
    await page.waitForSelector('[data-testid=roster-note].error:has-text("第 4 行，学号（student_no）")');
    await page.setInputFiles('[data-testid=roster-upload] input', good);
    await page.waitForSelector('[data-testid=roster-note].ok');
    await page.waitForSelector('[data-testid=open-2026003]');
    await page.click('[data-testid=open-2026003]');
    await page.waitForSelector('[data-testid=student-record]');
    assert.equal(t.appliance.store.audit.list({ limit: 5, action: 'health.read-student' }).length, 1);
  } finally {
    await page.close();
    await t.stop();
    dir.cleanup();
  }
});

test('teacher on another device on the LAN: the names are not listed, the username is typed, then the PIN', async () => {
  const lan = Object.values((await import('node:os')).networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  assert.ok(lan, 'this test needs a non-loopback IPv4 interface to play the classroom LAN');
  const t = await startTestAppliance('', { httpHost: '0.0.0.0' });
  const page = await browser.newPage();
  try {
    await seedAccounts(t);
    await page.goto(t.httpUrl.replace('127.0.0.1', lan.address));
    await page.waitForSelector('[data-testid=login-username]');
    assert.equal(await page.locator(`[data-testid=teacher-${TEACHER.username}]`).count(), 0);
    await page.fill('[data-testid=login-username]', TEACHER.username);
    await page.keyboard.press('Enter');
    for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
    await page.click('[data-testid=pin-ok]');
    await page.waitForSelector('[data-testid=home]', { timeout: 20_000 });
  } finally {
    await page.close();
    await t.stop();
  }
});

test('晨检: two pupils of one name are told apart by their student number; a unique name stands alone', async () => {
  const t = await startTestAppliance(`health: { checkWindow: { from: '00:00', to: '23:59' } }`);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await seedAccounts(t);
    const csv = `class_id,class_name,student_no,name,card_id,guardian_phone
g2c3,二年级(3)班,2026001,王小明,,
g2c3,二年级(3)班,2026002,王小明,,
g2c3,二年级(3)班,2026003,李小红,,
`;
    importRoster(t.appliance.store, parseRoster(Buffer.from(csv)).rows);
    await teacherLogin(page, `${t.httpUrl}/#/health`);
    await page.waitForSelector('[data-testid=student-2026001]');
    assert.match((await page.textContent('[data-testid=student-2026001]')) ?? '', /王小明\s*2026001/);
    assert.match((await page.textContent('[data-testid=student-2026002]')) ?? '', /王小明\s*2026002/);
    assert.doesNotMatch((await page.textContent('[data-testid=student-2026003]')) ?? '', /2026003/);
  } finally {
    await page.close();
    await t.stop();
  }
});
