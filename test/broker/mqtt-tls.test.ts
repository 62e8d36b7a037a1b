import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startTestAppliance, seedDevice, type TestAppliance, storedReadings } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { generateSelfSigned } from '../../edge/security/tls.js';
import { pinnedTlsOptions } from '../../firmware-bridge/sim/device-mqtt.js';
import { parseConfig } from '../../edge/config/load.js';
import { plaintextCheck } from '../../edge/doctor/checks.js';
import { listenerLayout } from '../../edge/security/listeners.js';
import type { ConfigError } from '../../edge/errors.js';

/**
 * Devices over MQTT with TLS (mqtt.tls): their existing credentials on port 8883 (random here),
 * trusting only the appliance's certificate; plain MQTT on loopback for the appliance's own services.
 */

let t: TestAppliance;
let certs: { path: string; cleanup(): void };
let ca: Buffer;
let fingerprint: string;
let creds: { username: string; password: string };
const clients: MqttClient[] = [];

before(async () => {
  certs = tempDir('classedge-mqtt-tls-');
  const g = generateSelfSigned({ dataDir: certs.path, days: 30, hosts: ['localhost', '127.0.0.1'] });
  ca = readFileSync(g.certFile);
  fingerprint = g.info.fingerprint256;
  // The simulated Wi-Fi sensor connects as a device would: over TLS, pinning the certificate.
  t = await startTestAppliance(
    'components:\n  - { type: mqtt-sensor-sim, name: air-sim, deviceId: air-sim-1, intervalMs: 200 }\n',
    { tls: { certFile: g.certFile, keyFile: g.keyFile } },
  );
  creds = await seedDevice(t, 'air-1');
});
after(async () => {
  for (const c of clients) c.end(true);
  await t.stop();
  certs.cleanup();
});

const tlsPort = (): number => t.appliance.broker.tlsPort;
const counters = (): Record<string, number> => t.appliance.broker.status().counters ?? {};

test('a device logs in over mqtts with its credentials, trusting only the appliance certificate, and its reading is committed', async () => {
  assert.ok(t.mqttsUrl);
  const before = counters().tlsSockets ?? 0;
  const c = await connect(t.mqttsUrl, {
    username: creds.username,
    password: creds.password,
    clientId: 'air-1_tls',
    ...pinnedTlsOptions({ ca, fingerprint256: fingerprint }),
  });
  clients.push(c);
  await c.publishAsync('classedge/dev/air-1/reading', JSON.stringify({ metrics: { co2_ppm: 812 } }), { qos: 1 });
  // PUBACK means committed.
  assert.ok(
    storedReadings(t)
      .query({ deviceId: 'air-1', metric: 'co2_ppm', limit: 5 })
      .some((r) => r.value === 812),
  );
  assert.ok((counters().tlsSockets ?? 0) > before, 'counted on the TLS listener');
});

test('over TLS a wrong secret is refused exactly as over plain MQTT', async () => {
  await assert.rejects(
    connect(t.mqttsUrl ?? '', {
      username: creds.username,
      password: 'not-the-secret',
      ...pinnedTlsOptions({ ca, fingerprint256: fingerprint }),
    }),
    (err: Error & { code?: number }) =>
      err.code === 4 || err.code === 5 || /Bad username or password|Not authorized/i.test(err.message),
  );
});

test("a client that does not trust the certificate, or pins another one, never gets to send the device's secret", async () => {
  await assert.rejects(
    connect(t.mqttsUrl ?? '', { username: creds.username, password: creds.password }),
    /self-signed certificate/,
  );
  const other = tempDir('classedge-mqtt-tls-other-');
  try {
    const o = generateSelfSigned({ dataDir: other.path, days: 30, hosts: ['localhost', '127.0.0.1'] });
    await assert.rejects(
      connect(t.mqttsUrl ?? '', {
        username: creds.username,
        password: creds.password,
        ...pinnedTlsOptions({ ca: readFileSync(o.certFile), fingerprint256: o.info.fingerprint256 }),
      }),
      /self-signed certificate|certificate/,
    );
    // The right CA but a different pin: the pin check refuses.
    await assert.rejects(
      connect(t.mqttsUrl ?? '', {
        username: creds.username,
        password: creds.password,
        ...pinnedTlsOptions({ ca, fingerprint256: o.info.fingerprint256 }),
      }),
      /is not the pinned/,
    );
  } finally {
    other.cleanup();
  }
});

test('plain MQTT bytes sent to the TLS port get no CONNACK: the connection is closed in the handshake', async () => {
  const failuresBefore = counters().tlsHandshakeFailures ?? 0;
  // A raw MQTT 3.1.1 CONNECT (client id "x", clean session): what a plain client would send.
  const connectPacket = Buffer.from([
    0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x78,
  ]);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const s = netConnect(tlsPort(), '127.0.0.1', () => s.write(connectPacket));
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', () => undefined);
    s.setTimeout(15_000, () => {
      s.destroy();
      reject(new Error('the TLS port kept a plain connection open'));
    });
  });
  assert.notEqual(answer[0], 0x20, 'no CONNACK');
  await waitFor(
    () => (counters().tlsHandshakeFailures ?? 0) > failuresBefore || undefined,
    'the failed handshake counted',
  );
});

test('Eclipse mosquitto_pub over TLS with --cafile (what a technician tries from a laptop) is accepted with device credentials', async () => {
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      'mosquitto_pub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(tlsPort()),
        '--cafile',
        join(certs.path, 'tls', 'cert.pem'),
        '-q',
        '1',
        '-u',
        creds.username,
        '-P',
        creds.password,
        '-i',
        'air-1_mosq',
        '-t',
        'classedge/dev/air-1/reading',
        '-m',
        '{"metrics":{"co2_ppm":901}}',
      ],
      { timeout: 10_000 },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(
    storedReadings(t)
      .query({ deviceId: 'air-1', metric: 'co2_ppm', limit: 10 })
      .some((x) => x.value === 901),
  );
});

test('the simulated Wi-Fi sensor publishes over TLS (mqtts, pinned) and the plain listener is on loopback', async () => {
  const sim = await waitFor(() => {
    const s = t.appliance.statuses().find((c) => c.name === 'air-sim');
    return s?.state === 'running' && (s.counters?.published ?? 0) > 0 ? s : undefined;
  }, 'the simulator publishing');
  assert.ok(sim);
  assert.match(t.appliance.deviceBroker().url, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(t.appliance.deviceBroker().tls?.fingerprint256, fingerprint);
  assert.match(
    t.appliance.brokerUrl(),
    /^mqtt:\/\/127\.0\.0\.1:/,
    "the appliance's own service client stays on plain loopback",
  );
});

test('listener layout: TLS on moves plain HTTP and MQTT to loopback; plaintextLan is the only way back, and the doctor warns about every plain listener off loopback', () => {
  const cfg = (yaml: string) => parseConfig(yaml, 'test.yaml');
  const unprovisioned = cfg('');
  assert.deepEqual(
    listenerLayout(unprovisioned).map((l) => `${l.service}${l.tls ? 's' : ''} ${l.host}:${l.port}`),
    ['http 0.0.0.0:8080', 'mqtt 0.0.0.0:1883'],
  );
  const warn = plaintextCheck(unprovisioned);
  assert.equal(warn.status, 'warn');
  assert.match(warn.detail, /HTTP 0\.0\.0\.0:8080 \(http\.tls\.enabled is false\)/);
  assert.match(warn.detail, /MQTT 0\.0\.0\.0:1883 \(mqtt\.tls\.enabled is false\)/);
  assert.match(warn.fix ?? '', /classedge tls generate --enable/);

  const provisioned = cfg(
    'http: { tls: { enabled: true, certFile: /c, keyFile: /k } }\nmqtt: { tls: { enabled: true } }\n',
  );
  assert.deepEqual(
    listenerLayout(provisioned).map((l) => `${l.service}${l.tls ? 's' : ''} ${l.host}:${l.port}`),
    ['https 0.0.0.0:8443', 'http 127.0.0.1:8080', 'mqtts 0.0.0.0:8883', 'mqtt 127.0.0.1:1883'],
  );
  const ok = plaintextCheck(provisioned);
  assert.equal(ok.status, 'ok', ok.detail);
  assert.match(
    ok.detail,
    /plain text only on loopback \(HTTP 127\.0\.0\.1:8080, MQTT 127\.0\.0\.1:1883\); the LAN gets HTTPS 0\.0\.0\.0:8443, MQTT over TLS 0\.0\.0\.0:8883/,
  );

  const optIn = plaintextCheck(
    cfg(
      'http: { tls: { enabled: true, certFile: /c, keyFile: /k } }\nmqtt: { tls: { enabled: true }, plaintextLan: true }\n',
    ),
  );
  assert.equal(optIn.status, 'warn');
  assert.match(optIn.detail, /^plain text on the LAN: MQTT 0\.0\.0\.0:1883 \(mqtt\.plaintextLan is true\)$/);
  assert.match(optIn.fix ?? '', /set mqtt\.plaintextLan to false/);

  // The TLS ports come from the environment like the plain ones, and a bad one names its setting.
  assert.equal(parseConfig('', 'env', { httpsPort: '9443', mqttsPort: 9883 }).http.tls.port, 9443);
  assert.equal(parseConfig('', 'env', { mqttsPort: 9883 }).mqtt.tls.port, 9883);
  assert.throws(
    () => parseConfig('', 'env', { mqttsPort: 'x' }),
    (err: ConfigError) =>
      err.issues.some((i) => i.path === '/mqtt/tls/port' && /CLASSEDGE_MQTTS_PORT/.test(i.expected)),
  );
  assert.throws(
    () => cfg('mqtt: { tls: { enabled: true, certfile: /c } }\n'),
    (err: ConfigError) => err.issues.some((i) => i.path === '/mqtt/tls/certfile'),
  );
  // Two listeners on one port are refused at load, naming both settings.
  assert.throws(
    () => cfg('http: { tls: { enabled: true, port: 1883, certFile: /c, keyFile: /k } }\n'),
    (err: ConfigError) =>
      err.issues.some((i) => i.path === '/http/tls/port' && i.expected === 'a port not used by /mqtt/port'),
  );
  assert.doesNotThrow(
    () => cfg('http: { port: 0, tls: { enabled: true, port: 0, certFile: /c, keyFile: /k } }\n'),
    'port 0 (chosen at start) may repeat',
  );
});
