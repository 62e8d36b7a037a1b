import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestAppliance, seedAccounts, ADMIN, type TestAppliance, storedReadings } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import type { ModbusBus } from '../../firmware-bridge/modbus/modbus-bus.js';
import type { ModbusSimComponent } from '../../firmware-bridge/sim/modbus-sim-component.js';
import { MODBUS_FAULTS } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import type { LiveEvents } from '../../edge/messages.js';
import { DEMO_MODBUS_SLAVES } from '../../edge/cli/demo.js';
import { MODBUS_BUS } from '../../edge/runtime/capabilities.js';

const SLAVES = DEMO_MODBUS_SLAVES;

let t: TestAppliance;
let ptyDir: { path: string; cleanup(): void };
const connection: LiveEvents['device.connection'][] = [];

function yaml(dir: string): string {
  const devices = SLAVES.map((s) => `      - { address: ${s.address}, profile: ${s.profile} }`).join('\n');
  const slaves = SLAVES.map((s) => `      - { address: ${s.address}, profile: ${s.profile} }`).join('\n');
  return `components:
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(dir)}
    slaves:
${slaves}
  - type: modbus-bus
    name: bus-a
    port: ${JSON.stringify(join(dir, 'appliance'))}
    pollIntervalMs: 300
    responseTimeoutMs: 150
    retries: 1
    offlineAfterFailures: 2
    offlinePollIntervalMs: 1000
    lineQuietTimeoutMs: 200
    devices:
${devices}
`;
}

const bus = (): ModbusBus => t.appliance.registry.get<ModbusBus>('bus-a') as ModbusBus;
const sim = (): ModbusSimComponent => t.appliance.registry.get<ModbusSimComponent>('sim') as ModbusSimComponent;
const counters = (): Record<string, number> => bus().status().counters ?? {};
const latestTs = (deviceId: string): number =>
  Math.max(
    0,
    ...storedReadings(t)
      .query({ deviceId, limit: 1 })
      .map((r) => r.ts),
  );

before(async () => {
  ptyDir = tempDir('classedge-bus-');
  t = await startTestAppliance(yaml(ptyDir.path));
  t.appliance.bus.on('device.connection', (e) => connection.push(e));
});
after(async () => {
  await t.stop();
  ptyDir.cleanup();
});

test('six sensors on one bus: every metric arrives, decoded and stored', async () => {
  await waitFor(
    () => (storedReadings(t).latest().length >= 10 ? true : undefined),
    'readings from all six sensors',
    10_000,
  );
  const metrics = new Set(
    storedReadings(t)
      .latest()
      .map((r) => r.metric),
  );
  for (const m of [
    'co2_ppm',
    'tvoc_ppb',
    'pm25_ugm3',
    'pm10_ugm3',
    'temperature_c',
    'humidity_pct',
    'noise_dba',
    'illuminance_lx',
  ])
    assert.ok(metrics.has(m), m);
  const co2 = storedReadings(t).query({ deviceId: 'bus-a-1', metric: 'co2_ppm', limit: 1 })[0];
  assert.ok(co2 && Math.abs(co2.value - (sim().sim?.value(1, 'co2_ppm') ?? 0)) < 30, `stored ${co2?.value}`);
  assert.equal(bus().status().state, 'running');
});

for (const fault of MODBUS_FAULTS) {
  test(`fault "${fault}": the sensor goes offline, the others keep being polled, it comes back by itself`, async () => {
    const before = { ...counters() };
    sim().sim?.setFault(2, fault);
    await waitFor(
      () => connection.find((e) => e.deviceId === 'bus-a-2' && !e.connected) ?? undefined,
      `bus-a-2 offline after ${fault}`,
      10_000,
    );
    assert.equal(bus().status().state, 'degraded');
    assert.match(bus().status().detail ?? '', /bus-a-2/);
    const c = counters();
    if (fault === 'no-reply' || fault === 'slow')
      assert.ok((c.timeouts ?? 0) > (before.timeouts ?? 0), 'timeouts counted');
    else assert.ok((c.protocolErrors ?? 0) > (before.protocolErrors ?? 0), 'protocol errors counted');
    // The neighbours are still read while slave 2 misbehaves.
    const since = Date.now();
    await waitFor(
      () => (latestTs('bus-a-3') > since && latestTs('bus-a-1') > since ? true : undefined),
      'other sensors still polled',
      5000,
    );
    connection.length = 0;
    sim().sim?.setFault(2, undefined);
    await waitFor(
      () => connection.find((e) => e.deviceId === 'bus-a-2' && e.connected) ?? undefined,
      'bus-a-2 back online',
      10_000,
    );
    await waitFor(() => (bus().status().state === 'running' ? true : undefined), 'bus running again');
    connection.length = 0;
  });
}

test("the bus is found by what its kind provides: registry.find(MODBUS_BUS) and the admin console's GET /api/v1/modbus", async () => {
  assert.deepEqual(
    t.appliance.registry.find(MODBUS_BUS).map((b) => b.name),
    ['bus-a'],
    'the simulator on the far end provides no bus',
  );
  await seedAccounts(t);
  const api = new ApiClient(t.httpUrl);
  await api.loginAdmin(ADMIN.username, ADMIN.password);
  const res = await api.get('/api/v1/modbus');
  assert.equal(res.status, 200);
  const buses = res.body as { name: string; slaves: { address: number; id: string }[] }[];
  assert.deepEqual(
    buses.map((b) => b.name),
    ['bus-a'],
  );
  assert.deepEqual(
    buses[0]?.slaves.map((x) => [x.address, x.id]),
    SLAVES.map((x) => [x.address, `bus-a-${x.address}`]),
  );
});

test('implausible values from a sensor are counted and not stored', async () => {
  const before = counters().rejectedValues ?? 0;
  sim().sim?.setValue(1, 'co2_ppm', 60000);
  await waitFor(() => ((counters().rejectedValues ?? 0) > before ? true : undefined), 'rejected value counted');
  assert.ok(
    !storedReadings(t)
      .query({ deviceId: 'bus-a-1', metric: 'co2_ppm', limit: 50 })
      .some((r) => r.value > 10000),
  );
  sim().sim?.setValue(1, 'co2_ppm', 700);
});

test('a line that never goes quiet: the bus reports it naming the bus and the bytes seen, and polls again once it stops', async () => {
  const before = counters().lineNotQuiet ?? 0;
  const noise: LiveEvents['modbus.frame'][] = [];
  const off = t.appliance.bus.on('modbus.frame', (f) => {
    if (f.error === 'line never quiet') noise.push(f);
  });
  sim().sim?.babble(true);
  try {
    const detail = await waitFor(
      () => {
        const d = bus().status().detail ?? '';
        return /never silent/.test(d) ? d : undefined;
      },
      'the babble reported',
      10_000,
    );
    // The bytes seen may begin with a slave's late reply to the poll before (a loaded machine), then the babble.
    assert.match(
      detail,
      /Modbus bus bus-a \(.*appliance\): the line was never silent for 20\.0 ms within 200 ms \(lineQuietTimeoutMs\); \d+ bytes received meanwhile, starting ([0-9a-f]{2} )*aa 55 ff 00/,
    );
    assert.equal(bus().status().state, 'degraded');
    // The failed wait is bounded, so the loop goes on through the devices (a busy test machine may
    // leave a gap in the noise now and then: such a poll fails on the garbage instead).
    const polls = counters().polls ?? 0;
    await waitFor(
      () => ((counters().polls ?? 0) >= polls + SLAVES.length ? true : undefined),
      'polling goes on during the noise',
      15_000,
    );
    assert.ok((counters().lineNotQuiet ?? 0) > before);
    assert.ok(
      noise.length > 0 && /^([0-9a-f]{2} )*aa 55 ff 00/.test(noise[0]?.hex ?? ''),
      'the bytes seen are shown on the frames page',
    );
  } finally {
    sim().sim?.babble(false);
    off();
  }
  const since = Date.now();
  await waitFor(
    () => (SLAVES.every((s) => latestTs(`bus-a-${s.address}`) > since) ? true : undefined),
    'every sensor polled again',
    20_000,
  );
  await waitFor(() => (bus().status().state === 'running' ? true : undefined), 'bus running again', 10_000);
});

test('unplugging the adapter mid-poll: the bus degrades, nothing crashes, and it resumes when plugged back', async () => {
  await sim().stop();
  await waitFor(
    () => (bus().status().state === 'degraded' ? true : undefined),
    'bus degraded after the pty closed',
    5000,
  );
  // Which the bus sees first depends on timing: the port closing, a write failing with EIO (a pty whose
  // far end went away), or the reopen failing; each names the port.
  assert.match(bus().status().detail ?? '', /closed|cannot open|i\/o error/);
  assert.match(bus().status().detail ?? '', /\/appliance\b/);
  await sim().start();
  const since = Date.now();
  await waitFor(() => (latestTs('bus-a-1') > since ? true : undefined), 'polling resumed', 15_000);
  assert.ok((counters().reopens ?? 0) >= 1);
  assert.equal((await fetch(`${t.httpUrl}/api/v1/health`)).status, 200);
});
