import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, seedDevice, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { localTime } from '../../edge/config/timetable.js';
import type { ModbusSimComponent } from '../../firmware-bridge/sim/modbus-sim-component.js';
import { TasmotaDevice } from '../../firmware-bridge/sim/tasmota-device.js';

/*
 * 上课 from the kiosk in Chromium: the simulated panel (RS-232 bytes over a pty), a relay board on the
 * RS-485 line and a Wi-Fi switch on the broker all switch, each shown as its device confirmed it; a
 * teacher's change shows who and until when, and lapses when the lesson ends.
 */

const OUT = join(ROOT, 'test-output', 'screenshots');
const RELAYS = 10;
let browser: Browser;
let t: TestAppliance;
let dir: { path: string; cleanup(): void };
let wall: TasmotaDevice;
let lessonEnd: number;

const pad = (n: number): string => String(n).padStart(2, '0');
const hm = (minute: number): string => `${pad(Math.floor(minute / 60) % 24)}:${pad(minute % 60)}`;

before(async () => {
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  dir = tempDir('classedge-room-e2e-');
  // A lesson under way that ends at the next minute boundary at least 30 s away (not across midnight).
  while (localTime(Date.now(), 'Asia/Shanghai').minute >= 24 * 60 - 3) await new Promise((r) => setTimeout(r, 5000));
  const now = Date.now();
  const local = localTime(now, 'Asia/Shanghai');
  const sec = Math.floor(now / 1000) % 60;
  const endMinute = local.minute + (sec < 30 ? 1 : 2);
  lessonEnd = now - (now % 60_000) + (endMinute - local.minute) * 60_000;
  t =
    await startTestAppliance(`timetable: { lessons: [{ start: '${hm(Math.max(0, local.minute - 10))}', end: '${hm(endMinute)}' }], schoolDays: [1, 2, 3, 4, 5, 6, 7] }
room:
  enabled: true
  timetableScenes: false
  switches:
    - { id: fresh-air, role: fresh-air }
    - { id: lights-front, role: lights }
    - { id: lights-wall, role: lights }
  freshAir: { minOnS: 0, minOffS: 0 }
  lights: { minOnS: 0, minOffS: 0 }
components:
  - type: display-sim
    name: panel-sim
    family: hitevision
    ptyDir: ${JSON.stringify(join(dir.path, 'panel'))}
  - type: display
    name: panel
    family: hitevision
    port: ${JSON.stringify(join(dir.path, 'panel', 'appliance'))}
    schedule: { enabled: false }
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(join(dir.path, 'bus'))}
    slaves:
      - { address: 1, profile: jxct-gas }
      - { address: 2, profile: jxct-light }
    relays:
      - { address: ${RELAYS}, board: coil-relay-8 }
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'bus', 'appliance'))}
    pollIntervalMs: 300
    devices:
      - { address: 1, profile: jxct-gas }
      - { address: 2, profile: jxct-light }
    relays:
      - address: ${RELAYS}
        board: coil-relay-8
        channels:
          - { relay: 1, id: fresh-air }
          - { relay: 2, id: lights-front }
  - type: tasmota-switch
    name: wall
    device: wall-1
    channels:
      - { power: 1, id: lights-wall }
`);
  await seedAccounts(t);
  const cred = await seedDevice(t, 'wall-1', 'switch');
  wall = new TasmotaDevice({ address: { url: t.mqttUrl }, topic: 'wall-1', password: cred.password, channels: 1 });
  assert.ok(await wall.start());
});
after(async () => {
  await browser?.close();
  await wall?.stop();
  await t?.stop();
  dir?.cleanup();
});

test('上课 on the kiosk switches the panel, the relays and the Wi-Fi lights; a change by hand shows and lapses', async () => {
  const sim = (t.appliance.registry.get<ModbusSimComponent>('sim') as ModbusSimComponent).sim;
  assert.ok(sim);
  sim.setValue(1, 'co2_ppm', 1250);
  sim.setValue(2, 'illuminance_lx', 90);
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(t.httpUrl);
    await page.click(`[data-testid=teacher-${TEACHER.username}]`);
    for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
    await page.click('[data-testid=pin-ok]');
    await page.waitForSelector('[data-testid=room-control]');
    await page.click('[data-testid=scene-lesson]');
    await page.waitForSelector('[data-testid=room-control][data-scene=lesson]');
    for (const id of ['fresh-air', 'lights-front', 'lights-wall'])
      await page.waitForSelector(`[data-testid=switch-${id}][data-state=on]`, { timeout: 15_000 });
    assert.deepEqual(sim.board(RELAYS)?.relays.slice(0, 2), [true, true]);
    assert.equal(wall.relays[0], true);
    // The panel went on by the scene, confirmed by its own reply.
    const admin = new ApiClient(t.httpUrl);
    await admin.loginTeacher(TEACHER.username, TEACHER.pin);
    await waitFor(
      async () => {
        const d = (await admin.get('/api/v1/displays')).body as { state: { power: string } }[];
        return d[0]?.state.power === 'on' ? true : undefined;
      },
      'panel on',
      10_000,
    );
    assert.match(
      (await page.textContent('[data-testid=switch-fresh-air]')) ?? '',
      /新风.*开.*自动.*二氧化碳 1\d{3} ppm/s,
    );
    await page.screenshot({ path: join(OUT, 'room-lesson-1920x1080.png') });

    // By hand: the front lights off until the lesson ends.
    await page.click('[data-testid=switch-lights-front-off]');
    await page.waitForSelector('[data-testid=switch-lights-front][data-state=off][data-source=override]');
    const until = new Date(lessonEnd).toLocaleTimeString('zh-CN', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    assert.match(
      (await page.textContent('[data-testid=switch-lights-front]')) ?? '',
      new RegExp(`手动，到 ${until} 恢复自动`),
    );
    assert.equal(sim.board(RELAYS)?.relays[1], false);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(OUT, 'room-override-1280x800.png') });
    const small = await page.$$eval('[data-testid=room-control] button', (bs) =>
      bs
        .filter((b) => b.getBoundingClientRect().height < 48 || b.getBoundingClientRect().width < 48)
        .map((b) => b.textContent),
    );
    assert.deepEqual(small, [], 'every room control is at least 48 px');
    // The lesson ends: the lights go back to the rule (dark desks: on again).
    await page.waitForSelector('[data-testid=switch-lights-front][data-source=scene][data-state=on]', {
      timeout: Math.max(5000, lessonEnd - Date.now() + 15_000),
    });
    assert.equal(sim.board(RELAYS)?.relays[1], true);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
