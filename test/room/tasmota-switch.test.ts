import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAppliance, seedDevice, type TestAppliance } from '../helpers/appliance.js';
import { waitFor } from '../helpers/env.js';
import { connect, closed } from '../helpers/mqtt.js';
import { TasmotaDevice } from '../../firmware-bridge/sim/tasmota-device.js';
import type { TasmotaSwitch } from '../../firmware-bridge/tasmota/tasmota-switch.js';
import type { LiveEvents } from '../../edge/messages.js';
import type { SwitchChannel, SwitchStatus } from '../../edge/room/switch.js';
import { SWITCHES } from '../../edge/runtime/capabilities.js';

/*
 * Wi-Fi switches of Tasmota's convention through the appliance's real broker: the simulated devices
 * are MQTT clients on loopback with their own device credentials, as the firmware would be. Only
 * what a device reports confirms a command.
 */

let t: TestAppliance;
let lights: TasmotaDevice;
let dimmer: TasmotaDevice;
const events: LiveEvents['switch.state'][] = [];

const YAML = `components:
  - type: tasmota-switch
    name: wifi-lights
    device: lights-1
    confirmTimeoutMs: 800
    retryIntervalMs: 1000
    channels:
      - { power: 1, id: lights-board }
      - { power: 2, id: lights-window }
  - type: tasmota-switch
    name: wifi-dimmer
    device: dimmer-1
    confirmTimeoutMs: 800
    retryIntervalMs: 1000
    channels:
      - { power: 1, id: lights-desk, dimmer: true }
`;

const sw = (id: string): SwitchChannel => {
  const found = t.appliance.registry
    .find(SWITCHES)
    .flatMap((g) => g.switches())
    .find((s) => s.id === id);
  assert.ok(found, `switch ${id}`);
  return found;
};
const status = (id: string): SwitchStatus => sw(id).status();

async function device(id: string, channels: number): Promise<TasmotaDevice> {
  const cred = await seedDevice(t, id, 'switch');
  const d = new TasmotaDevice({ address: { url: t.mqttUrl }, topic: id, password: cred.password, channels });
  assert.ok(await d.start(), `${id} connected`);
  return d;
}

before(async () => {
  t = await startTestAppliance(YAML);
  t.appliance.bus.on('switch.state', (e) => events.push(e));
  lights = await device('lights-1', 2);
  dimmer = await device('dimmer-1', 1);
  await waitFor(
    () =>
      ['lights-board', 'lights-window', 'lights-desk'].every((id) => status(id).state === 'off') ? true : undefined,
    'every output reported once',
    10_000,
  );
});
after(async () => {
  await lights?.stop();
  await dimmer?.stop();
  await t.stop();
});

test('a command goes out on cmnd/<device>/POWERn and counts only once the device reports it', async () => {
  const s = await sw('lights-window').set(true);
  assert.equal(s.state, 'on');
  assert.equal(s.pending, undefined);
  assert.match(s.via, /MQTT switch lights-1 \(Tasmota\), POWER2/);
  assert.deepEqual(lights.relays, [false, true]);
  assert.ok(lights.commands.includes('POWER2 ON'), lights.commands.join(' | '));
  assert.equal((await sw('lights-window').set(false)).state, 'off');
  assert.ok(events.some((e) => e.id === 'lights-window' && e.state === 'on'));
});

test('a dimmer: Dimmer 0-100, confirmed by its report; a single-relay device is plain POWER', async () => {
  const s = await sw('lights-desk').setLevel?.(40);
  assert.equal(s?.state, 'on');
  assert.equal(s?.level, 40);
  assert.equal(dimmer.dimmer, 40);
  assert.ok(dimmer.commands.includes('Dimmer 40'), dimmer.commands.join(' | '));
  const off = await sw('lights-desk').set(false);
  assert.equal(off.state, 'off');
  assert.ok(dimmer.commands.includes('POWER OFF'), dimmer.commands.join(' | '));
  assert.equal(sw('lights-board').setLevel, undefined, 'a plain switch does not dim');
});

for (const [fault, reason] of [
  ['silent', /no report from lights-1 within 800 ms/],
  ['deaf', /no report from lights-1 within 800 ms/],
  ['wrong-state', /lights-1 reported off after switching on/],
] as const) {
  test(`fault "${fault}": unknown with the reason, sent again while it lasts, confirmed once the device reports`, async () => {
    lights.fault = fault;
    const before = lights.commands.length;
    try {
      const s = await sw('lights-board').set(true);
      assert.equal(s.state, 'unknown', JSON.stringify(s));
      assert.equal(s.pending, 'on');
      assert.match(s.lastError ?? '', reason);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(status('lights-board').state, 'unknown');
      if (fault !== 'deaf') assert.ok(lights.commands.length >= before + 2, 'sent again');
    } finally {
      lights.fault = undefined;
    }
    await waitFor(() => (status('lights-board').state === 'on' ? true : undefined), 'confirmed', 10_000);
    assert.equal(lights.relays[0], true);
    assert.equal((await sw('lights-board').set(false)).state, 'off');
  });
}

test('a switch that drops off the network: its last will makes every output unknown; back, it is known again', async () => {
  await lights.disconnect();
  await waitFor(
    () =>
      status('lights-board').state === 'unknown' && status('lights-window').state === 'unknown' ? true : undefined,
    'unknown after the last will',
    10_000,
  );
  assert.match(status('lights-board').lastError ?? '', /lights-1 is offline \(its last will\)/);
  const group = t.appliance.registry.get<TasmotaSwitch>('wifi-lights');
  assert.equal(group?.status().state, 'degraded');
  assert.ok(await lights.start());
  await waitFor(() => (status('lights-board').state === 'off' ? true : undefined), 'known again', 10_000);
});

test("someone presses the switch's own button: that is the state now, and the appliance does not switch it back", async () => {
  const commands = lights.commands.length;
  lights.press(1);
  await waitFor(() => (status('lights-board').state === 'on' ? true : undefined), 'the press is seen', 5000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(lights.relays[0], true);
  assert.equal(lights.commands.length, commands, 'no command sent back');
  assert.equal((await sw('lights-board').set(false)).state, 'off');
});

test("the broker's ACL: a switch publishes only its own stat/ and tele/ topics and follows only its own commands", async () => {
  const cred = await seedDevice(t, 'lights-2', 'switch');
  // Another device's report closes the connection.
  const c = await connect(t.mqttUrl, { username: 'lights-2', password: cred.password });
  const gone = closed(c);
  c.publish('stat/lights-1/POWER1', 'ON');
  await gone;
  assert.equal(status('lights-board').state, 'off', 'the forged report changed nothing');
  // Its own commands only: a subscription to another switch's commands is refused.
  const c2 = await connect(t.mqttUrl, { username: 'lights-2', password: cred.password });
  await assert.rejects(c2.subscribeAsync('cmnd/lights-1/#'), /Subscribe error/);
  const own = await c2.subscribeAsync('cmnd/lights-2/#');
  assert.equal(own[0]?.qos, 0);
  // An oversize report is dropped and counted, the connection stays.
  c2.publish('stat/lights-2/RESULT', 'x'.repeat(t.config.mqtt.maxPayloadBytes + 1));
  await waitFor(
    () => ((t.appliance.broker.rejectedByReason.get('switch: too large') ?? 0) >= 1 ? true : undefined),
    'oversize counted',
    5000,
  );
  assert.ok(c2.connected);
  // Retained only for its last will: a retained report is passed on, not kept by the broker.
  await c2.publishAsync('stat/lights-2/RESULT', '{"POWER":"ON"}', { retain: true, qos: 1 });
  await c2.publishAsync('tele/lights-2/LWT', 'Online', { retain: true, qos: 1 });
  const retained = await t.appliance.broker.retainedTopics('+/lights-2/#');
  assert.deepEqual(retained, ['tele/lights-2/LWT']);
  // No readings from a switch: a compromised plug must not report CO₂.
  const gone2 = closed(c2);
  c2.publish('classedge/dev/lights-2/reading', JSON.stringify({ metrics: { co2_ppm: 2000 } }), { qos: 0 });
  await gone2;
  // A sensor may not speak as a switch.
  const sensor = await seedDevice(t, 'co2-9', 'sensor');
  const c3 = await connect(t.mqttUrl, { username: 'co2-9', password: sensor.password });
  const gone3 = closed(c3);
  c3.publish('stat/co2-9/POWER', 'ON');
  await gone3;
});
