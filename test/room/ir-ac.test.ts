import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAppliance, seedDevice, type TestAppliance } from '../helpers/appliance.js';
import { waitFor } from '../helpers/env.js';
import { TasmotaDevice } from '../../firmware-bridge/sim/tasmota-device.js';
import type { SwitchChannel } from '../../edge/room/switch.js';
import { SWITCHES } from '../../edge/runtime/capabilities.js';

/*
 * An air conditioner by infrared: a Tasmota IR blaster and a Tasmota metering plug, both real MQTT
 * clients with their own credentials. The blaster's "Done" is not a confirmation; the plug's power is.
 */

let t: TestAppliance;
let blaster: TasmotaDevice;
let plug: TasmotaDevice;
/** The simulated AC: runs when the last IR command said so, unless it ignores IR (out of range). */
let acIgnoresIr = false;
let acRunning = false;

const ac = (id: string): SwitchChannel => {
  const s = t.appliance.registry
    .find(SWITCHES)
    .flatMap((g) => g.switches())
    .find((x) => x.id === id);
  assert.ok(s, id);
  return s;
};

before(async () => {
  t = await startTestAppliance(`components:
  - type: tasmota-ir-ac
    name: ac
    id: air-conditioner
    blaster: ir-1
    vendor: GREE
    mode: cool
    temperatureC: 26
    meter: plug-1
    confirmTimeoutMs: 3000
  - type: tasmota-ir-ac
    name: ac-unmetered
    id: air-conditioner-2
    blaster: ir-1
`);
  const b = await seedDevice(t, 'ir-1', 'switch');
  blaster = new TasmotaDevice({ address: { url: t.mqttUrl }, topic: 'ir-1', password: b.password, channels: 1 });
  assert.ok(await blaster.start());
  const p = await seedDevice(t, 'plug-1', 'switch');
  plug = new TasmotaDevice({
    address: { url: t.mqttUrl },
    topic: 'plug-1',
    password: p.password,
    channels: 1,
    telePeriodMs: 300,
    meterW: () => {
      const ir = blaster.irhvac;
      if (ir && !acIgnoresIr) acRunning = ir.Power === 'On';
      return acRunning ? 850 : 3;
    },
  });
  assert.ok(await plug.start());
  await waitFor(
    () => (ac('air-conditioner').status().state === 'off' ? true : undefined),
    'AC known off by its power',
    10_000,
  );
});
after(async () => {
  await blaster?.stop();
  await plug?.stop();
  await t.stop();
});

test('on by IRhvac (vendor, mode, set point), confirmed only when the plug shows the AC drawing power', async () => {
  const s = await ac('air-conditioner').set(true);
  assert.equal(s.state, 'on', JSON.stringify(s));
  assert.deepEqual(blaster.irhvac, { Vendor: 'GREE', Power: 'On', Mode: 'cool', Temp: 26, Celsius: 'On' });
  assert.match(s.via, /IR blaster ir-1 \(Tasmota IRhvac GREE\), confirmed by the power of plug-1/);
  const off = await ac('air-conditioner').set(false);
  assert.equal(off.state, 'off');
});

test('an AC that ignores the IR command stays unknown with the reason, never shown as done', async () => {
  acIgnoresIr = true;
  try {
    const s = await ac('air-conditioner').set(true);
    assert.equal(s.state, 'unknown');
    assert.equal(s.pending, 'on');
    assert.match(s.lastError ?? '', /plug-1 showed no change within 3 s after the IR command/);
    // The plug keeps reporting the AC off: still a command not followed, not someone's remote.
    await new Promise((r) => setTimeout(r, 1500));
    const later = ac('air-conditioner').status();
    assert.equal(later.state, 'unknown', JSON.stringify(later));
    assert.equal(later.pending, 'on');
  } finally {
    acIgnoresIr = false;
  }
  await ac('air-conditioner').set(false);
});

test('without a metering plug the AC is never confirmed: the blaster sent it, nothing more is known', async () => {
  const s = await ac('air-conditioner-2').set(true);
  assert.equal(s.state, 'unknown');
  assert.match(s.lastError ?? '', /infrared, which cannot answer/);
  await waitFor(() => (blaster.irhvac?.Power === 'On' ? true : undefined), 'the blaster got the command', 5000);
  assert.equal(ac('air-conditioner-2').status().state, 'unknown');
});
