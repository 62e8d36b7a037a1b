import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { Value } from '@sinclair/typebox/value';
import { StoreSchema, type Config } from '../../edge/config/schema.js';
import { Store } from '../../edge/store/store.js';
import { addDevice } from '../../edge/services/devices.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { withDbFile } from '../helpers/sqlite.js';
import { qos1Burst } from '../helpers/mqtt.js';

const BASE_TS = Date.parse('2026-11-01T00:00:00Z');
// The store as the appliance opens it by default (FULL durability): the schema's defaults, not a copy.
const STORE_OPTS = Value.Default(StoreSchema, {}) as Config['store'];

/** A data directory with one registered device, prepared before the appliance process starts. */
async function seedDataDir(dataDir: string, deviceId: string) {
  const seed = Store.open({ dataDir, store: STORE_OPTS });
  try {
    return await addDevice(seed, { id: deviceId, kind: 'sensor' }, 'test');
  } finally {
    seed.close();
  }
}

test('kill -9 in the middle of a QoS 1 burst: every acknowledged reading is in the store after restart', async () => {
  const dir = tempDir();
  try {
    const creds = await seedDataDir(dir.path, 'burst-1');

    const app = await spawnAppliance(dir.path);
    await healthy(app);
    const clients = Array.from({ length: 4 }, (_, i) =>
      mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
        username: creds.mqtt.username,
        password: creds.mqtt.password,
        clientId: `${creds.mqtt.username}_${i}`,
        reconnectPeriod: 0,
      }),
    );
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));
    // Each client keeps a window of messages in flight, as a busy sensor gateway would.
    const { sent, acked, stop } = qos1Burst(clients, 'burst-1', BASE_TS, 50);
    await waitFor(() => acked.size >= 3000 || undefined, '3000 acknowledged readings', 60_000);
    app.child.kill('SIGKILL');
    const exit = await app.exited;
    stop();
    for (const c of clients) c.end(true);
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(sent.size > acked.size, 'the kill landed while messages were still in flight');

    // Restart on the same data directory: the store opens, and every acknowledged reading is there.
    const again = await spawnAppliance(dir.path);
    await healthy(again);
    again.child.kill('SIGTERM');
    await again.exited;
    // Opened as the store opens it (migrations, WAL recovery), then read from outside.
    Store.open({ dataDir: dir.path, store: STORE_OPTS }).close();
    withDbFile(dir.path, (db) => {
      const stored = new Set(
        db
          .prepare<[], { ts: number }>("SELECT ts FROM readings WHERE device_id = 'burst-1'")
          .all()
          .map((r) => r.ts),
      );
      const missing = [...acked].filter((ts) => !stored.has(ts));
      assert.deepEqual(missing, [], `${missing.length} acknowledged readings lost`);
      assert.ok(
        [...stored].every((ts) => sent.has(ts)),
        'nothing stored that was not sent',
      );
      const dupes = db
        .prepare<[], { n: number }>(
          "SELECT count(*) - count(DISTINCT ts) AS n FROM readings WHERE device_id = 'burst-1'",
        )
        .get()?.n;
      assert.equal(dupes, 0);
    });
  } finally {
    dir.cleanup();
  }
});

test('SIGTERM: the appliance says offline on MQTT and exits 0 within its shutdown bound', async () => {
  const dir = tempDir();
  try {
    const creds = await seedDataDir(dir.path, 'watcher');
    const app = await spawnAppliance(dir.path);
    await healthy(app);
    const c = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
      username: creds.mqtt.username,
      password: creds.mqtt.password,
      clientId: creds.mqtt.username,
      reconnectPeriod: 0,
    });
    const states: string[] = [];
    c.on('message', (_t, p) => states.push(p.toString()));
    await new Promise((r) => c.once('connect', r));
    await c.subscribeAsync('classedge/appliance/availability', { qos: 1 });
    await waitFor(() => states.includes('online') || undefined, 'online');
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - t0 < 6000);
    assert.ok(states.includes('offline'), `availability went ${states.join(' -> ')}`);
    c.end(true);
  } finally {
    dir.cleanup();
  }
});
