import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type RequestOptions } from 'node:https';
import { get as httpGet } from 'node:http';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { parse } from 'yaml';
import { WebSocket } from 'ws';
import { CLI, ROOT, freePort, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { ADMIN, seedAccounts, startTestAppliance } from '../helpers/appliance.js';
import { loadConfig } from '../../edge/config/load.js';
import { tlsCheck } from '../../edge/doctor/checks.js';
import type { ProvisionResult } from '../../edge/provision/provision.js';

/** One HTTPS request with node's client, trusting only `ca` (the generated self-signed certificate). */
function httpsJson(
  url: string,
  o: { ca?: Buffer; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const opts: RequestOptions = {
      method: o.method ?? 'GET',
      ...(o.ca ? { ca: o.ca } : {}),
      headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...o.headers },
    };
    const req = request(url, opts, (res) => {
      // Read while the socket is attached: node detaches it once the body has ended.
      const authorized = (res.socket as { authorized?: boolean }).authorized === true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? JSON.parse(text) : undefined,
          authorized,
        });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function generate(dataDir: string, ...args: string[]) {
  return run(process.execPath, [CLI, 'tls', 'generate', '--data-dir', dataDir, '--json', ...args]);
}

test('tls generate: a self-signed pair with the key at mode 0600 and its SHA-256 fingerprint; kept on a second run, replaced only with --force', async () => {
  const dir = tempDir('classedge-tls-gen-');
  try {
    const first = await generate(dir.path, '--days', '90', '--host', 'room-101.school.lan', '--host', '10.1.2.3');
    assert.equal(first.code, 0, first.err);
    const a = JSON.parse(first.out);
    assert.equal(a.created, true);
    assert.equal(a.certFile, join(dir.path, 'tls', 'cert.pem'));
    assert.equal(statSync(a.keyFile).mode & 0o777, 0o600, 'private key readable by its owner only');
    const x509 = new X509Certificate(readFileSync(a.certFile));
    assert.equal(a.fingerprint256, x509.fingerprint256, 'the printed fingerprint is the one a browser shows');
    assert.match(a.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.match(x509.subjectAltName ?? '', /DNS:room-101\.school\.lan/);
    assert.match(x509.subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
    assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/, "the box's own names are added to those given");
    assert.match(x509.subject, /CN=room-101\.school\.lan/, 'the first name given is the subject');
    for (const a of Object.values(networkInterfaces()).flat()) {
      if (a && !a.internal && a.family === 'IPv4')
        assert.ok(
          (x509.subjectAltName ?? '').includes(`IP Address:${a.address}`),
          `the LAN address ${a.address}, which devices dial`,
        );
    }
    const days = (new Date(x509.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 89 && days <= 90.01, `valid for 90 days, got ${days}`);

    const second = await generate(dir.path);
    assert.equal(second.code, 0, second.err);
    assert.equal(JSON.parse(second.out).created, false);
    assert.equal(JSON.parse(second.out).fingerprint256, a.fingerprint256, 'the first certificate is kept');
    assert.equal(new X509Certificate(readFileSync(a.certFile)).fingerprint256, a.fingerprint256);

    const forced = await generate(dir.path, '--force');
    assert.equal(JSON.parse(forced.out).created, true);
    assert.notEqual(JSON.parse(forced.out).fingerprint256, a.fingerprint256, '--force makes a new one');

    const bad = await generate(join(dir.path, 'other'), '--host', 'bad host!');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--host: 'bad host!' is neither an IP address nor a DNS name/);
  } finally {
    dir.cleanup();
  }
});

test('HTTPS appliance: health over TLS checked against the generated certificate, admin cookie Secure, live WebSocket over wss, plain HTTP refused', async () => {
  const certs = tempDir('classedge-tls-certs-');
  const g = await generate(certs.path);
  assert.equal(g.code, 0, g.err);
  const { certFile, keyFile } = JSON.parse(g.out) as { certFile: string; keyFile: string };
  const ca = readFileSync(certFile);
  const t = await startTestAppliance('', { tls: { certFile, keyFile } });
  try {
    assert.match(t.httpUrl, /^https:/);
    const health = await httpsJson(`${t.httpUrl}/api/v1/health`, { ca });
    assert.equal(health.status, 200);
    assert.equal(health.authorized, true, 'the certificate chain and the name 127.0.0.1 verified');
    assert.equal(health.body.status, 'ok');
    // Without the generated certificate as CA, node refuses the self-signed server: TLS is real.
    await assert.rejects(httpsJson(`${t.httpUrl}/api/v1/health`), /self-signed certificate/);
    // The TLS port speaks TLS only: a plain HTTP request gets no HTTP answer.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = httpGet(`http://127.0.0.1:${t.appliance.http.tlsPort}/api/v1/health`, (res) =>
          resolve(res.statusCode),
        );
        req.on('error', reject);
      }),
    );
    // The plain port stays for the panel's own browser, on loopback only.
    const plain = await fetch(`http://127.0.0.1:${t.appliance.http.port}/api/v1/health`);
    assert.equal(plain.status, 200);
    assert.notEqual(t.appliance.http.port, t.appliance.http.tlsPort);

    await seedAccounts(t);
    const login = await httpsJson(`${t.httpUrl}/api/v1/session/admin`, {
      ca,
      method: 'POST',
      body: { username: ADMIN.username, password: ADMIN.password },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /classedge_session=[^;]+;/);
    assert.match(setCookie, /; Secure/, 'the session cookie is Secure over TLS');
    assert.match(setCookie, /HttpOnly/);
    const cookie = setCookie.split(';')[0] ?? '';
    const me = await httpsJson(`${t.httpUrl}/api/v1/session`, { ca, headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.role, 'admin', 'the Secure cookie is the session over HTTPS');
    // The admin console's status page shows the fingerprint to pin and where plain text is served.
    const status = await httpsJson(`${t.httpUrl}/api/v1/status`, { ca, headers: { cookie } });
    assert.equal(status.status, 200);
    assert.equal(status.body.tls.fingerprint256, new X509Certificate(ca).fingerprint256);
    assert.deepEqual(
      status.body.tls.listeners.filter((l: { tls: boolean }) => !l.tls).map((l: { host: string }) => l.host),
      ['127.0.0.1', '127.0.0.1'],
    );

    const frames: { type: string; data: any }[] = [];
    const ws = new WebSocket(`wss://127.0.0.1:${t.appliance.http.tlsPort}/api/v1/live`, {
      ca,
      headers: { cookie, origin: t.httpUrl },
    });
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    await waitFor(
      () =>
        frames.some((f) => f.type === 'component.state' && f.data.name === 'http' && f.data.state === 'running') ||
        undefined,
      'the live snapshot over wss',
    );
    ws.close();
    // A wss client that does not trust the certificate is refused in the handshake.
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const w = new WebSocket(`wss://127.0.0.1:${t.appliance.http.tlsPort}/api/v1/live`, { headers: { cookie } });
        w.once('open', () => resolve());
        w.once('error', reject);
      }),
      /self-signed certificate/,
    );

    // The panel's kiosk launcher waits for the appliance over HTTPS too (dry run: prints the browser line).
    const kiosk = await run('sh', [join(ROOT, 'deploy', 'kiosk', 'classedge-kiosk.sh')], {
      env: {
        CLASSEDGE_KIOSK_URL: `${t.httpUrl}/`,
        CLASSEDGE_KIOSK_DRY_RUN: '1',
        CLASSEDGE_KIOSK_PROFILE: join(t.dataDir, 'profile'),
        CLASSEDGE_KIOSK_WAIT_S: '10',
      },
    });
    assert.equal(kiosk.code, 0, kiosk.err);
    assert.ok(kiosk.out.split('\n').includes(`--app=${t.httpUrl}/`));

    // Doctor: the certificate's expiry, warned 30 days ahead and failed once past.
    const config = loadConfig(join(t.dataDir, 'config.yaml'));
    const ok = tlsCheck(config);
    assert.equal(ok?.status, 'ok');
    assert.match(ok?.detail ?? '', /valid to \d{4}-\d\d-\d\d \(82[45] days\)/);
    const validTo = new X509Certificate(ca).validTo;
    assert.equal(tlsCheck(config, new Date(validTo).getTime() - 10 * 86_400_000)?.status, 'warn');
    assert.match(tlsCheck(config, new Date(validTo).getTime() - 10 * 86_400_000)?.detail ?? '', /expires in 10 days/);
    assert.equal(tlsCheck(config, new Date(validTo).getTime() + 86_400_000)?.status, 'fail');
    const doctor = await run(
      process.execPath,
      [
        CLI,
        'doctor',
        '--config',
        join(t.dataDir, 'config.yaml'),
        '--http-port',
        String(t.appliance.http.port),
        '--mqtt-port',
        String(t.appliance.broker.port),
        '--json',
      ],
      {
        env: {
          CLASSEDGE_HTTPS_PORT: String(t.appliance.http.tlsPort),
          CLASSEDGE_MQTTS_PORT: String(t.appliance.broker.tlsPort),
        },
      },
    );
    const checks = JSON.parse(doctor.out).checks as { name: string; status: string; detail: string }[];
    const listening = checks.find((c) => c.name === 'tls-listeners');
    assert.equal(listening?.status, 'ok', JSON.stringify(listening));
    assert.ok(
      listening?.detail.includes(new X509Certificate(ca).fingerprint256),
      'the running HTTPS and MQTT-over-TLS ports present the configured certificate',
    );
    // Pointed at a TLS port where nothing listens, the doctor says so.
    const wrong = await run(
      process.execPath,
      [
        CLI,
        'doctor',
        '--config',
        join(t.dataDir, 'config.yaml'),
        '--http-port',
        String(t.appliance.http.port),
        '--mqtt-port',
        String(t.appliance.broker.port),
        '--json',
      ],
      {
        env: { CLASSEDGE_HTTPS_PORT: String(t.appliance.http.tlsPort), CLASSEDGE_MQTTS_PORT: String(await freePort()) },
      },
    );
    const bad = (JSON.parse(wrong.out).checks as { name: string; status: string; detail: string }[]).find(
      (c) => c.name === 'tls-listeners',
    );
    assert.equal(bad?.status, 'fail');
    assert.match(bad?.detail ?? '', /MQTT over TLS 127\.0\.0\.1:\d+ does not answer TLS/);
    assert.equal(checks.find((c) => c.name === 'tls')?.status, 'ok');
    assert.equal(
      checks.find((c) => c.name === 'api')?.status,
      'ok',
      `the doctor reaches the running appliance on its loopback plain port: ${JSON.stringify(checks.find((c) => c.name === 'api'))}`,
    );
  } finally {
    await t.stop();
    certs.cleanup();
  }
});

test(
  'a wrong certificate/key pair or a missing file stops classedge start with a message naming the file',
  { timeout: 90_000 },
  async () => {
    const dir = tempDir('classedge-tls-bad-');
    try {
      for (const d of ['a', 'b']) {
        assert.equal((await generate(join(dir.path, d))).code, 0);
      }
      const certA = join(dir.path, 'a', 'tls', 'cert.pem');
      const keyB = join(dir.path, 'b', 'tls', 'key.pem');
      const start = async (tls: string) => {
        const config = join(dir.path, 'config.yaml');
        writeFileSync(
          config,
          `dataDir: ${JSON.stringify(join(dir.path, 'data'))}\nhttp: { host: 127.0.0.1, port: ${await freePort()}, tls: ${tls} }\nmqtt: { host: 127.0.0.1, port: ${await freePort()} }\n`,
        );
        return run(process.execPath, [CLI, 'start', '--config', config, '--log-level', 'warn']);
      };
      const mismatch = await start(
        `{ enabled: true, certFile: ${JSON.stringify(certA)}, keyFile: ${JSON.stringify(keyB)} }`,
      );
      assert.equal(mismatch.code, 1);
      assert.ok(
        `${mismatch.out}${mismatch.err}`.includes(
          `http.tls.keyFile ${keyB} is not the private key of the certificate in http.tls.certFile ${certA}`,
        ),
        mismatch.out + mismatch.err,
      );

      const missing = join(dir.path, 'nowhere', 'cert.pem');
      const gone = await start(
        `{ enabled: true, certFile: ${JSON.stringify(missing)}, keyFile: ${JSON.stringify(keyB)} }`,
      );
      assert.equal(gone.code, 1);
      assert.ok(`${gone.out}${gone.err}`.includes(`http.tls.certFile ${missing}: cannot read it`), gone.out + gone.err);

      const unset = await start('{ enabled: true }');
      assert.equal(unset.code, 1);
      assert.match(`${unset.out}${unset.err}`, /http\.tls\.enabled is true but http\.tls\.certFile is not set/);

      // MQTT over TLS with no certificate anywhere: the start stops, naming both places it looked.
      const config = join(dir.path, 'config-mqtt.yaml');
      writeFileSync(
        config,
        `dataDir: ${JSON.stringify(join(dir.path, 'data'))}\nhttp: { host: 127.0.0.1, port: ${await freePort()} }\nmqtt: { host: 127.0.0.1, port: ${await freePort()}, tls: { enabled: true, port: ${await freePort()} } }\n`,
      );
      const noMqttCert = await run(process.execPath, [CLI, 'start', '--config', config, '--log-level', 'warn']);
      assert.equal(noMqttCert.code, 1);
      assert.match(
        `${noMqttCert.out}${noMqttCert.err}`,
        /mqtt\.tls\.enabled is true but neither mqtt\.tls\.certFile nor http\.tls\.certFile is set/,
      );
    } finally {
      dir.cleanup();
    }
  },
);

test('provision makes the certificate by default and switches http.tls and mqtt.tls on; a second run (--tls, kept for scripts) keeps the same certificate', async () => {
  const dir = tempDir('classedge-tls-provision-');
  try {
    const data = join(dir.path, 'data');
    const config = join(dir.path, 'config.yaml');
    // No district here: provisioning stops at enrolment (exit 1), after the TLS step it is about.
    const once = async (...flags: string[]) => {
      const r = await run(process.execPath, [
        CLI,
        'provision',
        '--id',
        'room-101',
        ...flags,
        '--tls-host',
        'room-101.lan',
        '--config',
        config,
        '--data-dir',
        data,
        '--json',
      ]);
      assert.equal(r.code, 1, r.err);
      const res = JSON.parse(r.out) as ProvisionResult;
      return { res, step: res.steps.find((s) => s.step === 'tls') };
    };
    const first = await once();
    assert.equal(first.step?.status, 'done', JSON.stringify(first.res.steps));
    assert.match(
      first.step?.detail ?? '',
      /self-signed certificate made .*http\.tls and mqtt\.tls switched on \(HTTPS on port 8443, MQTT over TLS on port 8883; plain HTTP and MQTT on 127\.0\.0\.1 only\)/,
    );
    const written = parse(readFileSync(config, 'utf8')) as {
      http: { tls: { enabled: boolean; certFile: string; keyFile: string } };
      mqtt: { tls: { enabled: boolean } };
    };
    assert.deepEqual(written.http.tls, {
      enabled: true,
      certFile: join(data, 'tls', 'cert.pem'),
      keyFile: join(data, 'tls', 'key.pem'),
    });
    assert.deepEqual(written.mqtt.tls, { enabled: true }, 'the broker serves the same pair');
    const fp = new X509Certificate(readFileSync(written.http.tls.certFile)).fingerprint256;
    assert.ok(first.step?.detail.includes(fp), 'the fingerprint is printed');
    assert.match(
      new X509Certificate(readFileSync(written.http.tls.certFile)).subjectAltName ?? '',
      /DNS:room-101\.lan/,
    );
    const tlsDoctor = first.res.doctor.find((c) => c.name === 'tls');
    assert.equal(tlsDoctor?.status, 'ok');
    assert.ok(tlsDoctor?.detail.includes(fp), 'the doctor shows the fingerprint to pin');
    assert.equal(first.res.doctor.find((c) => c.name === 'plaintext')?.status, 'ok', 'nothing plain off loopback');

    const second = await once('--tls');
    assert.equal(second.step?.status, 'skipped');
    assert.match(second.step?.detail ?? '', /certificate kept .*http\.tls and mqtt\.tls already on/);
    assert.equal(new X509Certificate(readFileSync(written.http.tls.certFile)).fingerprint256, fp);
  } finally {
    dir.cleanup();
  }
});

test('provision --no-tls (TLS ends elsewhere) makes no certificate, records plaintextLan for HTTP and MQTT, and the doctor warns; a later run keeps the choice', async () => {
  const dir = tempDir('classedge-tls-optout-');
  try {
    const data = join(dir.path, 'data');
    const config = join(dir.path, 'config.yaml');
    const once = async (...flags: string[]) => {
      const r = await run(process.execPath, [
        CLI,
        'provision',
        '--id',
        'room-102',
        ...flags,
        '--config',
        config,
        '--data-dir',
        data,
        '--json',
      ]);
      assert.equal(r.code, 1, r.err);
      const res = JSON.parse(r.out) as ProvisionResult;
      return { res, step: res.steps.find((s) => s.step === 'tls') };
    };
    const first = await once('--no-tls');
    assert.equal(first.step?.status, 'warn');
    assert.match(
      first.step?.detail ?? '',
      /no TLS \(--no-tls\): plain text on the LAN recorded as http\.plaintextLan and mqtt\.plaintextLan/,
    );
    const written = parse(readFileSync(config, 'utf8')) as {
      http: { plaintextLan: boolean; tls?: unknown };
      mqtt: { plaintextLan: boolean; tls?: unknown };
    };
    assert.equal(written.http.plaintextLan, true);
    assert.equal(written.mqtt.plaintextLan, true);
    assert.equal(written.http.tls, undefined);
    assert.equal(existsSync(join(data, 'tls', 'cert.pem')), false, 'no certificate made');
    const plaintext = first.res.doctor.find((c) => c.name === 'plaintext');
    assert.equal(plaintext?.status, 'warn');
    assert.match(
      plaintext?.detail ?? '',
      /HTTP 0\.0\.0\.0:\d+ \(http\.plaintextLan is true\), MQTT 0\.0\.0\.0:\d+ \(mqtt\.plaintextLan is true\)/,
    );

    const second = await once();
    assert.equal(second.step?.status, 'skipped');
    assert.match(second.step?.detail ?? '', /plain text on the LAN was chosen/);
    assert.equal(existsSync(join(data, 'tls', 'cert.pem')), false, 'the recorded choice holds');
  } finally {
    dir.cleanup();
  }
});
