import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MqttClient } from 'mqtt';
import { startTestAppliance, seedDevice, storedReadings, type TestAppliance } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { run } from '../helpers/run.js';
import { RawMqtt, PacketType, connectPacket, fixedHeader, publishPacket } from '../helpers/mqtt-raw.js';
import { REJECT_CATEGORIES } from '../../edge/broker/broker.js';
import { Store } from '../../edge/store/store.js';
import { addDevice } from '../../edge/services/devices.js';

/*
 * What anyone on the classroom LAN can send to the MQTT port, sent raw to a real appliance (real
 * aedes broker, real SQLite) on loopback. Every address in 127.0.0.0/8 is this machine, so a test
 * can be several "sources". The limits are set small here so that a flood is a few hundred sockets.
 */

const LIMITS = {
  connectTimeoutMs: 1500,
  maxConnectionsPerSource: 12,
  maxPreAuthConnections: 24,
  auditDeniedPerSource: 3,
  auditDeniedTotal: 10,
  auditWindowMs: 3_600_000,
  maxInflightQos2: 4,
  maxTrackedKeys: 16,
  maxFailedLoginsPerSource: 3,
  failedLoginWindowMs: 3_600_000,
};

let t: TestAppliance;
let air1: { username: string; password: string };
let air2: { username: string; password: string };
let cam: { username: string; password: string };
const open: { end(force?: boolean): unknown }[] = [];
const raws: RawMqtt[] = [];

before(async () => {
  t = await startTestAppliance('', { mqtt: LIMITS });
  air1 = await seedDevice(t, 'air-1');
  air2 = await seedDevice(t, 'air-2');
  cam = await seedDevice(t, 'cam-1', 'camera');
});
after(async () => {
  for (const c of open) c.end(true);
  for (const r of raws) r.close();
  await t.stop();
});

const port = (): number => t.appliance.broker.port;
const counter = (name: string): number => t.appliance.broker.status().counters?.[name] ?? 0;

async function raw(localAddress?: string): Promise<RawMqtt> {
  const r = await RawMqtt.open(port(), localAddress);
  raws.push(r);
  return r;
}

/** The real client library, but from another loopback address (a device elsewhere on the LAN). */
function deviceFrom(
  localAddress: string,
  creds: { username: string; password: string },
  clientId = creds.username,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = new MqttClient(() => netConnect({ host: '127.0.0.1', port: port(), localAddress }), {
      username: creds.username,
      password: creds.password,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      protocolVersion: 4,
      protocolId: 'MQTT',
    });
    open.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** A real device proves the broker serves: logged in, a QoS 1 reading acknowledged and stored. */
async function deviceStillServed(localAddress: string, value: number): Promise<void> {
  const c = await deviceFrom(localAddress, air1, `air-1_${value}`);
  await c.publishAsync('classedge/dev/air-1/reading', JSON.stringify({ metrics: { co2_ppm: value } }), { qos: 1 });
  assert.ok(
    storedReadings(t)
      .query({ deviceId: 'air-1', metric: 'co2_ppm', limit: 50 })
      .some((r) => r.value === value),
  );
  await c.endAsync();
}

function deniedConnectRowsAfter(id: number) {
  return t.appliance.store.audit
    .list({ limit: 10_000, action: 'mqtt.connect' })
    .filter((a) => a.id > id && a.result === 'denied');
}
const lastAuditId = (): number => t.appliance.store.audit.list({ limit: 1 })[0]?.id ?? 0;

test(
  'a CONNECT over mqtt.maxPreAuthPacketBytes (a 64 KiB client id) is closed at its header: no CONNACK, no audit row',
  { timeout: 60_000 },
  async () => {
    const auditBefore = lastAuditId();
    const errorsBefore = counter('protocolErrors');
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const r = await raw();
          r.send(connectPacket({ clientId: 'x'.repeat(65_535), username: 'air-1', password: 'whatever' }));
          await r.closed;
          assert.equal(r.packets.length, 0, 'no CONNACK for an oversized CONNECT');
        }),
      );
    }
    // The same for a username of 64 KiB, a will of 20 KiB, and a PUBLISH that announces 1 MiB before any CONNECT.
    for (const bytes of [
      connectPacket({ clientId: 'air-1', username: 'u'.repeat(65_535) }),
      connectPacket({
        clientId: 'air-1',
        username: 'air-1',
        password: air1.password,
        will: { topic: 'classedge/dev/air-1/status', payload: Buffer.alloc(20_000) },
      }),
      fixedHeader(PacketType.publish, 0, 1024 * 1024),
    ]) {
      const r = await raw();
      r.send(bytes);
      await r.closed;
      assert.equal(r.packets.length, 0);
    }
    assert.equal(deniedConnectRowsAfter(auditBefore).length, 0, 'nothing reached the audit log');
    assert.equal(counter('protocolErrors') - errorsBefore, 53);
    await deviceStillServed('127.0.0.1', 611);
  },
);

test(
  "a device cannot take another's client id (nor the appliance's own): refused with CONNACK 2, the owner stays connected and no will is published",
  { timeout: 60_000 },
  async () => {
    const disconnects: string[] = [];
    const off = t.appliance.bus.on('device.connection', (e) => {
      if (!e.connected) disconnects.push(e.deviceId);
    });
    try {
      const owner = await connect(t.mqttUrl, {
        username: air1.username,
        password: air1.password,
        clientId: 'air-1',
        will: { topic: 'classedge/dev/air-1/status', payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      open.push(owner);
      await owner.publishAsync('classedge/dev/air-1/status', 'online', { qos: 1, retain: true });
      const auditBefore = lastAuditId();
      await assert.rejects(
        connect(t.mqttUrl, { username: air2.username, password: air2.password, clientId: 'air-1' }),
        /Identifier rejected/i,
      );
      await assert.rejects(
        connect(t.mqttUrl, { username: air2.username, password: air2.password, clientId: 'air-1_2' }),
        /Identifier rejected/i,
      );
      await assert.rejects(
        connect(t.mqttUrl, {
          username: air2.username,
          password: air2.password,
          clientId: `classedge-service_${process.pid}`,
        }),
        /Identifier rejected/i,
      );
      await assert.rejects(
        connect(t.mqttUrl, {
          username: air2.username,
          password: air2.password,
          clientId: `classedge-service-${process.pid}`,
        }),
        /Identifier rejected/i,
      );
      const rows = deniedConnectRowsAfter(auditBefore);
      assert.ok(
        rows.some(
          (a) =>
            a.actor === 'mqtt:air-2' && a.target === 'air-1' && /does not belong to 'air-2'/.test(String(a.detail.why)),
        ),
      );

      // The owner is still there: it can publish, its will was not sent, the retained status is still "online".
      await owner.publishAsync('classedge/dev/air-1/reading', '{"metrics":{"co2_ppm":640}}', { qos: 1 });
      assert.ok(owner.connected);
      assert.deepEqual(disconnects, []);
      const status = new Promise<string>((resolve) =>
        owner.on('message', (topic, p) => topic.endsWith('/status') && resolve(p.toString())),
      );
      await owner.subscribeAsync('classedge/dev/air-1/status');
      assert.equal(await status, 'online');
      // And the appliance's own service client was never kicked.
      assert.equal(
        t.appliance.registry
          .all()
          .find((c) => c.name === 'mqtt-service')
          ?.status().state,
        'running',
      );

      // Its own id with a suffix, or an empty id (the broker assigns one), are fine for the device itself.
      const own = await connect(t.mqttUrl, {
        username: air2.username,
        password: air2.password,
        clientId: 'air-2_esp32.a-1',
      });
      own.end(true);
      const assigned = await connect(t.mqttUrl, { username: air2.username, password: air2.password, clientId: '' });
      assigned.end(true);
      owner.end(true);
    } finally {
      off();
    }
  },
);

test(
  '3000 refused CONNECTs with 15 KiB identifiers write at most mqtt.auditDeniedTotal short audit rows; a real device still connects',
  { timeout: 120_000 },
  async () => {
    const auditBefore = lastAuditId();
    const suppressedBefore = counter('auditSuppressed');
    const FLOOD = 3000;
    const WORKERS = 6;
    const codes = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        // Each worker is its own source address: the per-source and the total allowance both count.
        const from = `127.0.2.${w + 1}`;
        while (next < FLOOD) {
          const i = next++;
          const r = await RawMqtt.open(port(), from);
          const variant = i % 3;
          const packet =
            variant === 0
              ? { clientId: '', username: 'u'.repeat(15_000) } // no password: refused without a secret check
              : variant === 1
                ? { clientId: 'c'.repeat(15_000), username: 'air-1', password: 'not-checked' } // not its client id
                : { clientId: 'air-2', username: 'air-1', password: 'not-checked' }; // another device's id
          const { returnCode } = await r.login(packet);
          codes.set(returnCode, (codes.get(returnCode) ?? 0) + 1);
          r.close();
          await r.closed;
        }
      }),
    );
    assert.deepEqual([...codes.keys()].sort(), [2, 5], 'refused as identifier rejected (2) or not authorised (5)');
    assert.equal(
      [...codes.values()].reduce((a, b) => a + b, 0),
      FLOOD,
    );
    const rows = deniedConnectRowsAfter(auditBefore);
    assert.ok(
      rows.length > 0 && rows.length <= LIMITS.auditDeniedTotal,
      `${rows.length} audit rows for ${FLOOD} refusals`,
    );
    const bytes = rows.reduce((n, r) => n + r.actor.length + r.target.length + JSON.stringify(r.detail).length, 0);
    assert.ok(bytes <= rows.length * 600, `audit rows hold ${bytes} bytes: identifiers are clipped`);
    assert.ok(rows.every((r) => r.actor.length <= 100 && r.target.length <= 100));
    assert.ok(
      rows.some((r) => /\(15000 chars\)/.test(r.actor + r.target)),
      'a clipped identifier tells its true length',
    );
    assert.equal(
      counter('auditSuppressed') - suppressedBefore,
      FLOOD - rows.length,
      'every refusal not written is counted',
    );
    await deviceStillServed('127.0.0.1', 612);
  },
);

test(
  "denials over the window's allowance are written as one summary row when the window ends",
  { timeout: 60_000 },
  async () => {
    const small = await startTestAppliance('', {
      mqtt: { auditWindowMs: 1000, auditDeniedPerSource: 2, auditDeniedTotal: 3 },
    });
    try {
      const before = small.appliance.store.audit.list({ limit: 1 })[0]?.id ?? 0;
      const SENT = 12;
      for (let i = 0; i < SENT; i++) {
        const r = await RawMqtt.open(small.appliance.broker.port, `127.0.3.${(i % 2) + 1}`);
        assert.equal((await r.login({ clientId: '', username: `nobody-${i}` })).returnCode, 5);
        r.close();
      }
      // Every refusal is either its own row or counted in a summary: wait for the summaries to account for the rest.
      const accounted = await waitFor(
        () => {
          const rows = small.appliance.store.audit.list({ limit: 1000 }).filter((a) => a.id > before);
          const single = rows.filter((a) => a.action === 'mqtt.connect').length;
          const summarised = rows
            .filter((a) => a.action === 'mqtt.denied.summary')
            .reduce((n, a) => n + (a.detail.suppressed as number), 0);
          return single + summarised === SENT ? { single, summarised, rows } : undefined;
        },
        'the summary rows',
        20_000,
      );
      assert.ok(accounted.summarised > 0, 'some refusals were summarised');
      const summary = accounted.rows.find((a) => a.action === 'mqtt.denied.summary');
      assert.equal(summary?.result, 'denied');
      assert.match(JSON.stringify(summary?.detail.top), /address 127\.0\.3\.[12]/);
    } finally {
      await small.stop();
    }
  },
);

test(
  'before login a packet may have 16 KiB; after it a sensor may send mqtt.maxPayloadBytes + 1 KiB and a camera a snapshot',
  { timeout: 60_000 },
  async () => {
    // A CONNECT just under the pre-login limit is fine (a will of 15 000 bytes).
    const r = await raw();
    const ok = await r.login({
      clientId: 'air-1_big',
      username: 'air-1',
      password: air1.password,
      will: { topic: 'classedge/dev/air-1/status', payload: Buffer.alloc(15_000, 0x20) },
    });
    assert.equal(ok.returnCode, 0);
    // After login a sensor's limit is the payload limit plus room for the topic: 17 000 bytes are acknowledged (and
    // rejected as too large).
    r.send(
      publishPacket({
        topic: 'classedge/dev/air-1/reading',
        payload: Buffer.alloc(17_000, 0x20),
        qos: 1,
        messageId: 9,
      }),
    );
    await r.next(PacketType.puback);
    // Far over it: closed at the header.
    r.send(fixedHeader(PacketType.publish, 2, 100_000));
    await r.closed;

    // A camera gets the snapshot limit once it has logged in: 300 KB that are not a JPEG are acknowledged, rejected,
    // and it stays connected.
    const before = t.appliance.broker.rejectedByReason.get('snapshot: not a JPEG') ?? 0;
    const c = await connect(t.mqttUrl, { username: cam.username, password: cam.password });
    open.push(c);
    await c.publishAsync('classedge/dev/cam-1/snapshot', Buffer.alloc(300_000, 0x41), { qos: 1 });
    assert.equal((t.appliance.broker.rejectedByReason.get('snapshot: not a JPEG') ?? 0) - before, 1);
    assert.ok(c.connected);
    c.end(true);
  },
);

test(
  'QoS 2 without PUBREL: one over mqtt.maxInflightQos2 closes the connection, and nothing is kept after it',
  { timeout: 60_000 },
  async () => {
    const r = await raw();
    // A persistent session is asked for, and not granted: aedes would keep its unreleased messages in memory across
    // reconnects.
    const ack = await r.login({ clientId: 'air-1_q2', username: 'air-1', password: air1.password, clean: false });
    assert.deepEqual(ack, { returnCode: 0, sessionPresent: false });
    for (let id = 1; id <= LIMITS.maxInflightQos2 + 1; id++) {
      r.send(
        publishPacket({
          topic: 'classedge/dev/air-1/reading',
          payload: Buffer.alloc(16_000, 0x20),
          qos: 2,
          messageId: id,
        }),
      );
    }
    await r.closed;
    assert.equal(
      r.packets.filter((p) => p.type === PacketType.pubrec).length,
      LIMITS.maxInflightQos2,
      'each one within the window was received',
    );

    // Nothing of that session was kept: the same message id from the same client id is a new message, forwarded again.
    const watcher = await connect(t.mqttUrl, { username: air1.username, password: air1.password });
    open.push(watcher);
    const seen: string[] = [];
    watcher.on('message', (_topic, p) => seen.push(p.toString()));
    await watcher.subscribeAsync('classedge/dev/air-1/reading', { qos: 0 });
    for (const value of [701, 702]) {
      const s = await raw();
      assert.deepEqual(
        await s.login({ clientId: 'air-1_q2', username: 'air-1', password: air1.password, clean: false }),
        { returnCode: 0, sessionPresent: false },
      );
      s.send(
        publishPacket({
          topic: 'classedge/dev/air-1/reading',
          payload: JSON.stringify({ metrics: { co2_ppm: value } }),
          qos: 2,
          messageId: 1,
        }),
      );
      await s.next(PacketType.pubrec);
      s.close();
      await s.closed;
    }
    await waitFor(() => (seen.length >= 2 ? seen : undefined), 'both messages forwarded');
    assert.deepEqual(seen, ['{"metrics":{"co2_ppm":701}}', '{"metrics":{"co2_ppm":702}}']);
    watcher.end(true);
    await deviceStillServed('127.0.0.1', 613);
  },
);

test(
  'an address that keeps sending wrong secrets is refused without a secret check (CONNACK 3); other addresses are not',
  { timeout: 60_000 },
  async () => {
    const throttledBefore = counter('throttledLogins');
    const codes: number[] = [];
    for (const password of ['wrong-1', 'wrong-2', 'wrong-3', air1.password]) {
      const r = await raw('127.0.5.1');
      codes.push((await r.login({ clientId: 'air-1_t', username: 'air-1', password })).returnCode);
      r.close();
    }
    assert.deepEqual(codes, [4, 4, 4, 3], 'even the right secret waits until the window ends');
    assert.equal(counter('throttledLogins') - throttledBefore, 1);
    const other = await raw('127.0.5.2');
    assert.equal(
      (await other.login({ clientId: 'air-1_t', username: 'air-1', password: air1.password })).returnCode,
      0,
    );
    other.close();
  },
);

test(
  '500 sockets from one address get at most mqtt.maxConnectionsPerSource; idle ones are closed after mqtt.connectTimeoutMs; a real device still connects',
  { timeout: 120_000 },
  async () => {
    const refusedBefore = counter('refusedConnections');
    const flood = await Promise.all(Array.from({ length: 500 }, () => raw('127.0.0.9')));
    await waitFor(
      () => (flood.filter((r) => r.isClosed).length >= 500 - LIMITS.maxConnectionsPerSource ? true : undefined),
      'the sockets over the cap closed',
      30_000,
    );
    assert.ok(
      counter('refusedConnections') - refusedBefore >= 500 - LIMITS.maxConnectionsPerSource,
      'refused at accept, not timed out',
    );
    // A real device elsewhere on the LAN connects while the flood's sockets are held.
    await deviceStillServed('127.0.0.2', 614);
    // The ones the cap let in never sent a CONNECT: the pre-login deadline closes them.
    const timeoutsBefore = counter('preAuthTimeouts');
    const half = await raw('127.0.0.10');
    half.send(connectPacket({ clientId: 'air-1', username: 'air-1', password: air1.password }).subarray(0, 10));
    await Promise.all([...flood.map((r) => r.closed), half.closed]);
    assert.ok(counter('preAuthTimeouts') - timeoutsBefore >= 1, 'half a CONNECT is closed by the deadline');
    assert.ok(flood.every((r) => r.packets.length === 0) && half.packets.length === 0);
  },
);

test(
  'sockets from many addresses cannot hold the pre-login budget: the oldest idle one makes room, and a device gets in',
  { timeout: 120_000 },
  async () => {
    const evictedBefore = counter('preAuthEvicted');
    const flood: RawMqtt[] = [];
    for (let a = 1; a <= 20; a++) for (let k = 0; k < 10; k++) flood.push(await raw(`127.0.1.${a}`));
    await waitFor(
      () => (counter('preAuthEvicted') - evictedBefore >= 200 - LIMITS.maxPreAuthConnections ? true : undefined),
      'the oldest pre-login sockets closed',
    );
    assert.ok(counter('preAuth') <= LIMITS.maxPreAuthConnections, `${counter('preAuth')} pre-login sockets`);
    await deviceStillServed('127.0.0.3', 615);
    for (const r of flood) r.close();
  },
);

test(
  'rejection counters and per-device tables stay bounded whatever names devices send',
  { timeout: 60_000 },
  async () => {
    const c = await connect(t.mqttUrl, { username: air1.username, password: air1.password });
    open.push(c);
    for (let i = 0; i < 300; i++) {
      await c.publishAsync(
        'classedge/dev/air-1/reading',
        JSON.stringify({ metrics: { [`made_up_${i}`]: 1 }, [`field_${i}`]: i }),
        { qos: 1 },
      );
      await c.publishAsync('classedge/dev/air-1/reading', JSON.stringify({ metrics: { [`made_up_${i}`]: 1 } }), {
        qos: 1,
      });
    }
    const keys = [...t.appliance.broker.rejectedByReason.keys()];
    assert.ok(keys.length <= REJECT_CATEGORIES.length);
    assert.ok(
      keys.every((k) => (REJECT_CATEGORIES as readonly string[]).includes(k)),
      keys.join(', '),
    );
    c.end(true);
    // Refusals from many more addresses than mqtt.maxTrackedKeys: the log rate-limit table keeps its size.
    for (let a = 1; a <= 40; a++) {
      const r = await raw(`127.0.4.${a}`);
      await r.login({ clientId: '', username: `ghost-${a}` });
      r.close();
    }
    const sizes = t.appliance.broker.trackedKeys;
    assert.ok(sizes.logAt <= LIMITS.maxTrackedKeys && sizes.authCache <= LIMITS.maxTrackedKeys, JSON.stringify(sizes));
  },
);

test(
  'every database write failing (the disk full) does not end the appliance process: refusals still refused, devices still served',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir();
    const seed = Store.open({
      dataDir: dir.path,
      store: { synchronous: 'FULL' },
    });
    const dev = await addDevice(seed, { id: 'air-9', kind: 'sensor' }, 'test');
    seed.close();
    // The interaction analyser is off: its own timetable tick writes a lesson and an audit row and is not
    // part of the broker (a failed write there is reported separately).
    const config = join(dir.path, 'config.yaml');
    writeFileSync(config, 'analysis: { enabled: false }\n');
    const app = await spawnAppliance(dir.path, ['--log-level', 'warn'], { CLASSEDGE_CONFIG: config });
    const sockets: RawMqtt[] = [];
    const login = async (o: Parameters<RawMqtt['login']>[0]): Promise<RawMqtt & { returnCode: number }> => {
      const r = await RawMqtt.open(app.mqttPort);
      sockets.push(r);
      return Object.assign(r, await r.login(o));
    };
    try {
      await healthy(app, 60_000);
      const pid = app.child.pid;
      assert.ok(pid !== undefined);
      // A file size limit of one byte on the running process: every write SQLite makes to its files fails (EFBIG), as
      // on a full disk.
      const limit = await run('prlimit', [`--pid=${pid}`, '--fsize=1:']);
      assert.equal(limit.code, 0, limit.err);
      // Refused logins, whose audit rows cannot be written: still refused with the right code.
      assert.equal((await login({ clientId: '', username: 'nobody' })).returnCode, 5);
      assert.equal((await login({ clientId: 'air-9', username: 'air-9', password: 'wrong-secret-1' })).returnCode, 4);
      assert.equal((await login({ clientId: 'air-8', username: 'air-9', password: dev.mqtt.password })).returnCode, 2);
      // A device logs in (its last-seen cannot be written) and stays connected.
      const d = await login({ clientId: 'air-9', username: 'air-9', password: dev.mqtt.password });
      assert.equal(d.returnCode, 0);
      d.send(publishPacket({ topic: 'classedge/dev/air-9/status', payload: 'online', qos: 1, messageId: 3 }));
      await d.next(PacketType.puback);
      // A publish outside its prefix is refused (the connection closed) though its audit row cannot be written.
      d.send(publishPacket({ topic: 'classedge/dev/air-1/reading', payload: '{}', qos: 1, messageId: 4 }));
      await d.closed;
      await waitFor(
        () => (app.stdout.join('').includes('audit record could not be written') ? true : undefined),
        'the failed audit write logged',
      );
      assert.equal(app.child.exitCode, null, `the appliance exited: ${app.stderr.join('')}`);
      assert.equal((await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/health`)).status, 200);

      // Space again: the next refusal is audited.
      const unlimit = await run('prlimit', [`--pid=${pid}`, '--fsize=unlimited:']);
      assert.equal(unlimit.code, 0, unlimit.err);
      assert.equal((await login({ clientId: '', username: 'after-the-disk-was-freed' })).returnCode, 5);
      const check = new Database(join(dir.path, 'classedge.db'), { readonly: true });
      try {
        const row = check
          .prepare("SELECT count(*) AS n FROM audit_log WHERE actor = 'mqtt:after-the-disk-was-freed'")
          .get() as { n: number };
        assert.equal(row.n, 1);
      } finally {
        check.close();
      }
      await healthy(app, 60_000);
    } finally {
      for (const s of sockets) s.close();
      app.child.kill('SIGTERM');
      await app.exited;
      dir.cleanup();
    }
  },
);
