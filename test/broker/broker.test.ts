import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import {
  startTestAppliance,
  seedAccounts,
  seedDevice,
  ADMIN,
  type TestAppliance,
  storedReadings,
} from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect, closed } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/env.js';

let t: TestAppliance;
let creds: { username: string; password: string };
let other: { username: string; password: string };
const clients: MqttClient[] = [];

before(async () => {
  t = await startTestAppliance();
  await seedAccounts(t);
  creds = await seedDevice(t, 'air-1');
  other = await seedDevice(t, 'air-2');
});
after(async () => {
  for (const c of clients) c.end(true);
  await t.stop();
});

async function device(c = creds): Promise<MqttClient> {
  const client = await connect(t.mqttUrl, {
    username: c.username,
    password: c.password,
    clientId: `${c.username}_${clients.length}`,
  });
  clients.push(client);
  return client;
}

/** Eclipse's own client, run as a child process (never spawnSync: the broker lives in this process). */
function mosquittoPub(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const port = String(t.appliance.broker.port);
  const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', ...args], { timeout: 10_000 });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

test('Eclipse mosquitto_pub without credentials is refused', async () => {
  const r = await mosquittoPub(['-t', 'classedge/dev/air-1/reading', '-m', '{"metrics":{"co2_ppm":700}}']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not authori[sz]ed|Connection Refused/i);
});

test("Eclipse mosquitto_pub with a device's credentials: reading stored and visible through the authenticated API", async () => {
  const r = await mosquittoPub([
    '-u',
    creds.username,
    '-P',
    creds.password,
    '-i',
    'air-1_mosq',
    '-t',
    'classedge/dev/air-1/reading',
    '-m',
    '{"metrics":{"co2_ppm":733}}',
  ]);
  assert.equal(r.status, 0, r.stderr);
  // mosquitto_pub exits after its PUBACK, and PUBACK means journaled: the row is there once applied.
  const rows = storedReadings(t).query({ deviceId: 'air-1', metric: 'co2_ppm', limit: 10 });
  assert.ok(rows.some((x) => x.value === 733));
  const api = new ApiClient(t.httpUrl);
  assert.equal((await api.get('/api/v1/readings?deviceId=air-1')).status, 401);
  await api.loginAdmin(ADMIN.username, ADMIN.password);
  const res = await api.get('/api/v1/readings?deviceId=air-1&metric=co2_ppm');
  assert.equal(res.status, 200);
  assert.ok((res.body as { value: number }[]).some((x) => x.value === 733));
});

test('a wrong secret and an unknown device are refused, and audited', async () => {
  await assert.rejects(
    connect(t.mqttUrl, { username: 'air-1', password: 'Guessed-Secret-77' }),
    /Bad username or password|Not authorized/i,
  );
  await assert.rejects(
    connect(t.mqttUrl, { username: 'nobody', password: 'x' }),
    /Bad username or password|Not authorized/i,
  );
  const denied = t.appliance.store.audit
    .list({ limit: 50, action: 'mqtt.connect' })
    .filter((a) => a.result === 'denied');
  assert.ok(denied.length >= 2);
  assert.ok(!JSON.stringify(denied).includes('Guessed-Secret-77'), 'the attempted secret is never recorded');
});

test("a device cannot publish under another device's prefix: dropped, disconnected, nothing stored", async () => {
  const before = storedReadings(t).query({ deviceId: 'air-2', limit: 100 }).length;
  const c = await device();
  const gone = closed(c);
  c.publish('classedge/dev/air-2/reading', JSON.stringify({ metrics: { co2_ppm: 999 } }), { qos: 1 });
  await gone;
  assert.equal(storedReadings(t).query({ deviceId: 'air-2', limit: 100 }).length, before);
  const audit = t.appliance.store.audit.list({ limit: 20, action: 'mqtt.publish' });
  assert.ok(
    audit.some(
      (a) => a.actor === 'device:air-1' && a.target === 'classedge/dev/air-2/reading' && a.result === 'denied',
    ),
  );
});

test("a device cannot subscribe to another device's topics or to everything", async () => {
  const c = await device(other);
  const granted = (filter: string) =>
    new Promise<number>((resolve) =>
      c.subscribe(filter, { qos: 0 }, (_err, _g, suback) =>
        resolve((suback as { granted?: number[] } | undefined)?.granted?.[0] ?? -1),
      ),
    );
  assert.equal(await granted('classedge/dev/air-1/#'), 128);
  assert.equal(await granted('#'), 128);
  assert.equal(await granted('classedge/dev/air-2/cmd/#'), 0);
});

test('malformed payloads are acknowledged, dropped, counted and explained to the device; the broker keeps serving', async () => {
  const c = await device();
  const notices: string[] = [];
  const forwarded: string[] = [];
  // The device hears its own topic (MQTT 3.1.1 has no no-local): a dropped message must not be forwarded.
  await c.subscribeAsync(['classedge/dev/air-1/rejected', 'classedge/dev/air-1/reading'], { qos: 0 });
  c.on('message', (topic, payload) => {
    if (topic.endsWith('/rejected')) notices.push(payload.toString());
    else forwarded.push(payload.toString());
  });
  const beforeRows = storedReadings(t).count();
  const rejectedBefore = t.appliance.broker.status().counters?.rejected ?? 0;
  for (const bad of [
    'not json',
    '{"metrics":{"co2_ppm":"high"}}',
    '{"metrics":{"co2_ppm":-5}}',
    '{"metrics":{"co2_ppm":90000}}',
    JSON.stringify({ metrics: { co2_ppm: 1 }, pad: 'x'.repeat(17_000) }),
  ]) {
    await c.publishAsync('classedge/dev/air-1/reading', bad, { qos: 1 });
  }
  await waitFor(() => notices.length >= 5 || undefined, 'five rejection notices');
  assert.equal(storedReadings(t).count(), beforeRows);
  assert.equal((t.appliance.broker.status().counters?.rejected ?? 0) - rejectedBefore, 5);
  assert.match(notices.join('\n'), /not JSON/);
  assert.match(notices.join('\n'), /co2_ppm.*90000/);
  // Still serving: a good one goes through on the same connection.
  await c.publishAsync('classedge/dev/air-1/reading', '{"metrics":{"co2_ppm":812}}', { qos: 1 });
  assert.equal(storedReadings(t).count(), beforeRows + 1);
  await waitFor(() => forwarded.length >= 1 || undefined, 'the good reading forwarded');
  assert.deepEqual(forwarded, ['{"metrics":{"co2_ppm":812}}']);
});

test('a packet far over the size limit closes the connection before it is buffered', async () => {
  const c = await device();
  const gone = closed(c);
  c.publish('classedge/dev/air-1/reading', Buffer.alloc(2 * 1024 * 1024, 0x20), { qos: 0 });
  await gone;
  assert.ok((t.appliance.broker.status().counters?.protocolErrors ?? 0) >= 1);
  // The broker is fine: a new connection works.
  const again = await device();
  await again.publishAsync('classedge/dev/air-1/reading', '{"metrics":{"noise_dba":41}}', { qos: 1 });
});

test('the appliance availability topic is retained "online"', async () => {
  const c = await device();
  const got = new Promise<string>((resolve) =>
    c.on('message', (topic, p) => topic === 'classedge/appliance/availability' && resolve(p.toString())),
  );
  await c.subscribeAsync('classedge/appliance/availability');
  assert.equal(await got, 'online');
});

test('a removed device is disconnected and cannot come back', async () => {
  const temp = await seedDevice(t, 'temp-sensor');
  const c = await connect(t.mqttUrl, { username: temp.username, password: temp.password });
  const api = new ApiClient(t.httpUrl);
  await api.loginAdmin(ADMIN.username, ADMIN.password);
  const gone = closed(c);
  assert.equal((await api.delete('/api/v1/devices/temp-sensor')).status, 200);
  await gone;
  await assert.rejects(connect(t.mqttUrl, { username: temp.username, password: temp.password }));
});
