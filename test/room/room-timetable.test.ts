import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { TypedEmitter } from '../../edge/runtime/component.js';
import { createLogger } from '../../edge/log.js';
import type { LiveEvents } from '../../edge/messages.js';
import { RoomService } from '../../edge/room/room-service.js';
import type { SwitchChannel, SwitchStatus } from '../../edge/room/switch.js';
import { tempDir } from '../helpers/env.js';
import { startTestAppliance, seedAccounts, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { Writable } from 'node:stream';

/*
 * The room's clock-driven behaviour on a made-up clock: scenes from the timetable and overrides that
 * lapse at the end of the lesson. The switches here confirm at once; the drivers' own confirmation
 * is tested over real bytes in relay-board.test.ts and tasmota-switch.test.ts.
 */

/** A switch that confirms what it is told, as a healthy relay does. */
function confirming(id: string): SwitchChannel & { writes: boolean[] } {
  let state: SwitchStatus['state'] = 'off';
  const writes: boolean[] = [];
  return {
    id,
    writes,
    status: () => ({ id, state, via: 'test' }),
    set: async (on) => {
      writes.push(on);
      state = on ? 'on' : 'off';
      return { id, state, via: 'test' };
    },
  };
}

// Monday 2026-12-07 in Asia/Shanghai; lessons 08:00-08:40 and 08:50-09:30.
const at = (hhmm: string): number => Date.parse(`2026-12-07T${hhmm}:00+08:00`);

function room(now: { t: number }) {
  const dir = tempDir('classedge-room-tt-');
  const config = parseConfig(
    `dataDir: ${JSON.stringify(dir.path)}
appliance: { timezone: Asia/Shanghai }
timetable: { lessons: [{ start: '08:00', end: '08:40' }, { start: '08:50', end: '09:30' }] }
room:
  enabled: true
  leaveAfterMin: 30
  switches: [{ id: lights, role: lights }, { id: fan, role: fresh-air }]
  scenes:
    break: { lights: 'off' }
`,
    'test.yaml',
  );
  const store = Store.open(config);
  const lights = confirming('lights');
  const fan = confirming('fan');
  const bus = new TypedEmitter<LiveEvents>();
  const scenes: string[] = [];
  bus.on('room.state', (r) => {
    const s = r.scene?.id ?? '-';
    if (scenes[scenes.length - 1] !== s) scenes.push(s);
  });
  const svc = new RoomService({
    config,
    store,
    bus,
    log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    switches: () => [lights, fan],
    panels: () => [],
    roomValue: () => undefined,
    presentToday: () => undefined,
    now: () => now.t,
  });
  return {
    svc,
    lights,
    scenes,
    close: () => {
      store.close();
      dir.cleanup();
    },
  };
}

test('the timetable starts 上课 at each lesson, 下课 at its end, 离开 30 minutes after the last', async () => {
  const now = { t: at('07:40') };
  const r = room(now);
  try {
    r.svc.tick();
    assert.equal(r.svc.view().scene, null, 'before the day, at start, the room is left as it is');
    for (const [time, scene] of [
      ['08:00', 'lesson'],
      ['08:20', 'lesson'],
      ['08:40', 'break'],
      ['08:50', 'lesson'],
      ['09:30', 'break'],
      ['10:00', 'leave'],
    ] as const) {
      now.t = at(time);
      r.svc.tick();
      await new Promise((res) => setImmediate(res));
      assert.equal(r.svc.view(now.t).scene?.id, scene, time);
      assert.equal(r.svc.view(now.t).scene?.by, 'timetable');
    }
    assert.deepEqual(r.scenes, ['-', 'lesson', 'break', 'lesson', 'break', 'leave']);
    // The break scene of these settings switches the lights off; leave switches everything off.
    assert.equal(r.lights.writes.at(-1), false);
  } finally {
    r.close();
  }
});

test('a change by hand lasts until the end of the lesson, then the scene has the switch again', async () => {
  const now = { t: at('08:00') };
  const r = room(now);
  try {
    r.svc.tick();
    now.t = at('08:15');
    const v = r.svc.override('lights', 'on', 'user:li');
    const s = v?.switches.find((x) => x.id === 'lights');
    assert.equal(s?.overrideUntil, at('08:40'), 'lapses when the lesson ends');
    await new Promise((res) => setImmediate(res));
    assert.equal(r.lights.writes.at(-1), true);
    now.t = at('08:39');
    r.svc.tick();
    assert.equal(r.svc.view(now.t).switches.find((x) => x.id === 'lights')?.source, 'override');
    now.t = at('08:40');
    r.svc.tick();
    await new Promise((res) => setImmediate(res));
    const after = r.svc.view(now.t).switches.find((x) => x.id === 'lights');
    assert.equal(after?.source, 'scene');
    assert.equal(r.svc.view(now.t).scene?.id, 'break');
    assert.equal(r.lights.writes.at(-1), false, '下课 of these settings: lights off');
    // Between lessons a change lasts overrideMinutes (45).
    now.t = at('08:42');
    const between = r.svc.override('lights', 'on', 'user:li')?.switches.find((x) => x.id === 'lights');
    assert.equal(between?.overrideUntil, at('08:42') + 45 * 60_000);
  } finally {
    r.close();
  }
});

test('room control off: the room reads as disabled (nothing on the kiosk), commands are refused with the setting named', async () => {
  const t = await startTestAppliance('');
  try {
    await seedAccounts(t);
    const teacher = new ApiClient(t.httpUrl);
    await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
    const r = await teacher.get('/api/v1/room');
    assert.equal(r.status, 200);
    assert.equal((r.body as { enabled: boolean }).enabled, false);
    const refused = await teacher.request('POST', '/api/v1/room/scene', { scene: 'lesson' });
    assert.equal(refused.status, 409);
    assert.match(JSON.stringify(refused.body), /room\.enabled/);
  } finally {
    await t.stop();
  }
});
