import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricWindows, MINUTE } from '../../edge/environment/rollups.js';
import { startTestAppliance, seedAccounts, seedDevice, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { addDevice } from '../../edge/services/devices.js';
import type { LiveEvents } from '../../edge/messages.js';
import { withDbFile } from '../helpers/sqlite.js';

const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * 3_600_000;

async function feed(t: TestAppliance, deviceId: string, ts: number, metrics: Record<string, number>): Promise<void> {
  await t.appliance.readings.submitAsync(
    Object.entries(metrics).map(([metric, value]) => ({ deviceId, metric, value, ts, receivedAt: Date.now() })),
  );
}

test('rolling windows: averages over the window only, with the share of minutes that hold data', () => {
  const w = new MetricWindows();
  for (let m = 0; m < 120; m++) w.add(T0 + m * MINUTE, m < 60 ? 500 : 1100);
  const hour = w.average(3_600_000);
  assert.ok(hour && Math.abs(hour.avg - 1100) < 1e-9, JSON.stringify(hour));
  assert.equal(hour?.coverage, 1);
  const eight = w.average(8 * 3_600_000);
  assert.ok(eight && Math.abs(eight.avg - 800) < 1e-9);
  assert.equal(eight?.coverage, 120 / 480);
  assert.equal(new MetricWindows().average(3_600_000), undefined);
});

test('CO2 above the ventilate level raises an alert at once; it clears only below the hysteresis band', async () => {
  const t = await startTestAppliance();
  const events: LiveEvents['env.alert'][] = [];
  t.appliance.bus.on('env.alert', (e) => events.push(e));
  try {
    const now = Date.now();
    await feed(t, 'co2-a', now, { co2_ppm: 700 });
    assert.equal(events.length, 0);
    await feed(t, 'co2-a', now + 1000, { co2_ppm: 1150 });
    assert.equal(events.length, 1);
    assert.deepEqual(
      [events[0]?.ruleId, events[0]?.state, events[0]?.advice, events[0]?.threshold],
      ['co2-ventilate-now', 'raised', 'ventilate', 1000],
    );
    await feed(t, 'co2-a', now + 2000, { co2_ppm: 1320 });
    await feed(t, 'co2-a', now + 3000, { co2_ppm: 950 });
    assert.equal(events.length, 1, 'still above 900: the alert stays');
    await feed(t, 'co2-a', now + 4000, { co2_ppm: 880 });
    assert.equal(events.length, 2);
    assert.equal(events[1]?.state, 'cleared');
    const [rec] = t.appliance.store.envAlerts.recent(5);
    assert.deepEqual([rec?.startedAt, rec?.endedAt, rec?.peak], [now + 1000, now + 4000, 1320]);
  } finally {
    await t.stop();
  }
});

test('the 1-h CO2 average is judged only once enough of the hour has data, then alerts', async () => {
  const t = await startTestAppliance('environment: { minCoverage: 0.5 }');
  const events: LiveEvents['env.alert'][] = [];
  t.appliance.bus.on('env.alert', (e) => e.ruleId === 'co2-1h' && events.push(e));
  try {
    // 990 ppm instant never crosses the instant level; 20 minutes of 1050 does not yet make an hour.
    for (let m = 0; m < 20; m++) await feed(t, 'co2-b', T0 + m * MINUTE, { co2_ppm: 1050 });
    assert.equal(events.length, 0);
    for (let m = 20; m < 40; m++) await feed(t, 'co2-b', T0 + m * MINUTE, { co2_ppm: 1050 });
    assert.equal(events.length, 1);
    const view = t.appliance.environment.view(T0 + 40 * MINUTE);
    const co2 = view.metrics.find((m) => m.metric === 'co2_ppm');
    assert.equal(co2?.windows['1h']?.avg, 1050);
    assert.equal(co2?.status, 'alert');
  } finally {
    await t.stop();
  }
});

test('rollups are stored per minute and survive a restart; readings stored but not rolled up are caught up', async () => {
  const dir = tempDir();
  let t = await startTestAppliance('', { keepDir: dir.path });
  try {
    for (let m = 0; m < 30; m++) await feed(t, 'pm-1', T0 + m * MINUTE, { pm25_ugm3: 20 + m });
    t.appliance.environment.flush();
    const n = withDbFile(
      t.dataDir,
      (db) => db.prepare<[], { n: number }>("SELECT count(*) AS n FROM readings_1m WHERE device_id = 'pm-1'").get()?.n,
    );
    assert.equal(n, 30);
    await t.stop();
    // As after a crash: readings committed, their rollups never flushed.
    t = await startTestAppliance('', { keepDir: dir.path });
    const wm = Date.now() + 1;
    t.appliance.store.readings.insertMany([
      { deviceId: 'pm-1', metric: 'pm25_ugm3', value: 99, ts: T0 + 30 * MINUTE, receivedAt: wm },
    ]);
    await t.stop();
    t = await startTestAppliance('', { keepDir: dir.path });
    const hist = t.appliance.environment.history('pm25_ugm3', 3);
    assert.equal(hist.length, 31);
    assert.equal(hist.at(-1)?.max, 99);
    assert.equal(hist[0]?.avg, 20);
  } finally {
    await t.stop();
    dir.cleanup();
  }
});

test('API: the room view, history and alert log for a teacher', async () => {
  const t = await startTestAppliance();
  try {
    await seedAccounts(t);
    const now = Date.now();
    await feed(t, 'lux-1', now, { illuminance_lx: 280 });
    await feed(t, 'lux-2', now, { illuminance_lx: 340 });
    await feed(t, 'co2-a', now, { co2_ppm: 1400 });
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const env = (await api.get('/api/v1/environment')).body;
    assert.equal(env.desk.averageLx, 310);
    assert.equal(env.desk.uniformity, 0.9);
    assert.equal(env.desk.ok, true);
    assert.equal(env.alerts[0].advice, 'ventilate');
    assert.equal(env.metrics.find((m: { metric: string }) => m.metric === 'co2_ppm').status, 'alert');
    const hist = (await api.get('/api/v1/environment/history?metric=co2_ppm&hours=1')).body;
    assert.equal(hist.length, 1);
    assert.equal((await api.get('/api/v1/environment/alerts')).body.length, 1);
    assert.equal((await api.get('/api/v1/environment/history?metric=CO2!')).status, 400);
  } finally {
    await t.stop();
  }
});

test('Home Assistant: an integration client gets discovery and state; an ordinary sensor may not subscribe there', async () => {
  const t = await startTestAppliance();
  try {
    const ha = await addDevice(t.appliance.store, { id: 'home-assistant', kind: 'integration' }, 'test');
    const sensor = await seedDevice(t, 'air-9');
    const client = await connect(t.mqttUrl, { username: ha.mqtt.username, password: ha.mqtt.password });
    const got = new Map<string, string>();
    client.on('message', (topic, p) => got.set(topic, p.toString()));
    await client.subscribeAsync(['homeassistant/#', 'classedge/appliance/state/#']);
    const dev = await connect(t.mqttUrl, { username: sensor.username, password: sensor.password });
    await dev.publishAsync('classedge/dev/air-9/reading', '{"metrics":{"co2_ppm":845}}', { qos: 1 });
    await waitFor(
      () => (got.get('classedge/appliance/state/air-9/co2_ppm') === '845' ? true : undefined),
      'state topic',
    );
    const discovery = [...got.entries()].find(
      ([k]) => k.startsWith('homeassistant/sensor/') && k.endsWith('co2_ppm/config'),
    );
    assert.ok(discovery, `no discovery among ${[...got.keys()].join(', ')}`);
    const cfg = JSON.parse(discovery[1]) as Record<string, unknown>;
    assert.equal(cfg.device_class, 'carbon_dioxide');
    assert.equal(cfg.unit_of_measurement, 'ppm');
    assert.equal(cfg.state_topic, 'classedge/appliance/state/air-9/co2_ppm');
    const granted = await new Promise<number>((resolve) =>
      dev.subscribe('homeassistant/#', { qos: 0 }, (_e, _g, p) =>
        resolve((p as { granted?: number[] } | undefined)?.granted?.[0] ?? -1),
      ),
    );
    assert.equal(granted, 128);
    client.end(true);
    dev.end(true);
  } finally {
    await t.stop();
  }
});
