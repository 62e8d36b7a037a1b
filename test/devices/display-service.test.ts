import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { DisplayService } from '../../edge/display/display-service.js';
import { DisplaySchema } from '../../edge/display/display.kind.js';
import type { DisplaySimComponent } from '../../firmware-bridge/sim/display-sim-component.js';
import type { DisplaySim } from '../../firmware-bridge/sim/display-sim.js';
import type { LiveEvents } from '../../edge/messages.js';
import { Value } from '@sinclair/typebox/value';

/** Local time in Asia/Shanghai (UTC+8, no daylight saving) as ms since the epoch. */
const cst = (date: string, hhmm: string): number => Date.parse(`${date}T${hhmm}:00+08:00`);
const MIN = 60_000;

function panelYaml(dir: string, extra = ''): string {
  return `timetable: { holidays: ['2026-11-25'] }
components:
  - type: display-sim
    name: panel-sim
    family: hitevision
    ptyDir: ${JSON.stringify(dir)}
${extra}`;
}

function makeService(
  t: TestAppliance,
  dir: string,
  clock: { now: number },
  extra: Record<string, unknown> = {},
): DisplayService {
  const cfg = Value.Default(DisplaySchema, {
    type: 'display',
    name: 'panel',
    family: 'hitevision',
    port: join(dir, 'appliance'),
    commandTimeoutMs: 300,
    eyeCare: [{ from: '12:00', to: '14:00' }],
    ...extra,
  });
  return new DisplayService(t.appliance.componentContext('panel'), cfg as never, { now: () => clock.now });
}

const sim = (t: TestAppliance): DisplaySim =>
  (t.appliance.registry.get('panel-sim') as unknown as DisplaySimComponent).sim as DisplaySim;

async function runDay(
  svc: DisplayService,
  clock: { now: number },
  date: string,
  from = '00:00',
  to = '23:59',
): Promise<void> {
  for (let m = cst(date, from); m <= cst(date, to); m += MIN) {
    clock.now = m;
    svc.tick(m);
    await new Promise((r) => setImmediate(r));
    if (Object.keys(svc.panel?.pending ?? {}).length > 0)
      await waitFor(
        () => (Object.keys(svc.panel?.pending ?? {}).length === 0 ? true : undefined),
        'panel commands done',
        3000,
        2,
      );
  }
}

test('a school day on a fake clock: on before the first lesson, off after the last, eye care at noon, screen time and reminders', async () => {
  const dir = tempDir('classedge-panel-');
  const t = await startTestAppliance(panelYaml(dir.path));
  const clock = { now: cst('2026-11-23', '00:00') };
  const svc = makeService(t, dir.path, clock);
  const reminders: LiveEvents['display.reminder'][] = [];
  t.appliance.bus.on('display.reminder', (e) => reminders.push(e));
  const powerLog: { at: string; on: boolean }[] = [];
  try {
    await svc.start();
    const s = sim(t);
    const seen = s.received.length;
    const origPush = s.received.push.bind(s.received);
    s.received.push = (...cmds) => {
      for (const c of cmds)
        if (c.kind === 'power')
          powerLog.push({ at: new Date(clock.now + 8 * 3_600_000).toISOString().slice(11, 16), on: c.on });
      return origPush(...cmds);
    };
    assert.ok(seen >= 1, 'state queried at start');
    await runDay(svc, clock, '2026-11-23');
    assert.deepEqual(powerLog, [
      { at: '07:50', on: true },
      { at: '16:35', on: false },
    ]);
    assert.equal(s.state.source, 'ops');
    assert.equal(s.state.eyeCare, false, 'eye care switched off again at 14:00');
    assert.ok(s.received.some((c) => c.kind === 'eyeCare' && c.on));
    const st = svc.screenTime('2026-11-23');
    assert.equal(st.onMinutes, 525);
    assert.equal(st.lessonMinutes, 280);
    assert.equal(st.lessonOnMinutes, 280);
    assert.equal(st.share, 1);
    assert.equal(reminders.length, 7, 'one gentle reminder per lesson that ran over 30 %');
    // A holiday: the panel stays off all day.
    powerLog.length = 0;
    await runDay(svc, clock, '2026-11-25', '06:00', '18:00');
    assert.deepEqual(powerLog, []);
  } finally {
    await svc.stop();
    await t.stop();
    dir.cleanup();
  }
});

test('a restart in the middle of the day: the new process puts the panel in the state the timetable wants', async () => {
  const dir = tempDir('classedge-panel-');
  const t = await startTestAppliance(panelYaml(dir.path));
  const clock = { now: cst('2026-11-24', '09:00') };
  let svc = makeService(t, dir.path, clock);
  try {
    await svc.start();
    await waitFor(() => (sim(t).state.power ? true : undefined), 'panel on at 09:00');
    await runDay(svc, clock, '2026-11-24', '09:00', '10:00');
    // The appliance dies at 10:00 (process gone); the panel, on its own, was switched off meanwhile.
    await svc.stop();
    sim(t).state.power = false;
    clock.now = cst('2026-11-24', '12:07');
    svc = makeService(t, dir.path, clock);
    await svc.start();
    await waitFor(() => (sim(t).state.power ? true : undefined), 'panel on again after the restart');
    assert.equal(svc.panel?.power, 'on');
    await runDay(svc, clock, '2026-11-24', '12:07', '17:00');
    assert.equal(sim(t).state.power, false, 'and off after the last lesson');
    // Screen time survived the restart: the morning's minutes are still counted.
    assert.ok(svc.screenTime('2026-11-24').lessonOnMinutes > 100);
  } finally {
    await svc.stop();
    await t.stop();
    dir.cleanup();
  }
});

test('brightness follows the room light but never beyond the luminance limit, also when a teacher asks for 100 %', async () => {
  const dir = tempDir('classedge-panel-');
  const display = `  - type: display
    name: panel
    family: hitevision
    port: ${JSON.stringify(join(dir.path, 'appliance'))}
    schedule: { enabled: false }
`;
  const t = await startTestAppliance(panelYaml(dir.path, display));
  try {
    await seedAccounts(t);
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const [panel] = (await api.get('/api/v1/displays')).body;
    assert.equal(panel.capBrightness, 88, '400 cd/m2 of a 450 cd/m2 panel');
    assert.equal(panel.supported.power, 'devices.md');
    assert.equal(panel.supported.brightness, 'assumed');
    const on = await api.post('/api/v1/displays/panel/commands', { kind: 'power', on: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.state.power, 'on');
    await t.appliance.readings.submitAsync([
      { deviceId: 'lux', metric: 'illuminance_lx', value: 5000, ts: Date.now(), receivedAt: Date.now() },
    ]);
    await waitFor(() => (sim(t).state.brightness === 88 ? true : undefined), 'brightness capped at 88 %');
    const max = await api.post('/api/v1/displays/panel/commands', { kind: 'brightness', level: 100 });
    assert.equal(max.body.state.brightness, 88);
    const vol = await api.post('/api/v1/displays/panel/commands', { kind: 'volume', level: 35 });
    assert.equal(vol.body.state.volume, 35);
    assert.equal(sim(t).state.volume, 35);
    assert.equal((await api.post('/api/v1/displays/panel/commands', { kind: 'volume' })).status, 400);
    assert.equal((await api.post('/api/v1/displays/nope/commands', { kind: 'power', on: true })).status, 404);
    sim(t).fault = 'ignore';
    const lost = await api.post('/api/v1/displays/panel/commands', { kind: 'volume', level: 60 });
    assert.equal(lost.status, 504);
    assert.match(lost.body.message, /did not acknowledge volume/);
    sim(t).fault = undefined;
    const st = (await api.get('/api/v1/displays/panel/screen-time?date=2026-11-23')).body;
    assert.equal(st.lessonMinutes, 280);
    assert.ok(t.appliance.store.audit.list({ limit: 10, action: 'display.command' }).length >= 3);
  } finally {
    await t.stop();
    dir.cleanup();
  }
});
