import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestAppliance, seedAccounts, ADMIN, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, ROOT, freePort, tempDir, waitFor } from '../helpers/env.js';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { batchRequestHeaders } from '../../cloud-sync/protocol.js';
import { newKeyPair, privateKeyFrom } from '../../edge/security/signing.js';
import { applianceKey } from '../../edge/sync/keys.js';
import { SyncAgent } from '../../edge/sync/agent.js';
import { createLogger } from '../../edge/log.js';
import { spawnAppliance } from '../helpers/child.js';
import { run } from '../helpers/run.js';
import { startDistrict } from '../helpers/district.js';
import { launchChromium } from '../helpers/browser.js';
import { withDbFile } from '../helpers/sqlite.js';

let pgsql: TestPostgres;
before(async () => {
  pgsql = await startPostgres();
});
after(async () => pgsql.stop());

async function startReceiverProcess(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'classedge-district.js'), 'serve', '--database', pgsql.url, '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    child.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve()),
  );
  return child;
}

/** Produce records of every kind on the appliance: readings, an environment alert raised and cleared. */
async function produce(t: TestAppliance, readings: number, base: number): Promise<void> {
  for (let i = 0; i < readings; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, readings - i) }, (_, k) => ({
      deviceId: 'co2-a',
      metric: 'co2_ppm',
      value: 500 + ((i + k) % 400),
      ts: base + i + k,
      receivedAt: Date.now(),
    }));
    await t.appliance.readings.submitAsync(rows);
  }
}

async function districtCounts(applianceId: string): Promise<Record<string, { n: number; sum: string }>> {
  const c = new DistrictReceiver({ databaseUrl: pgsql.url });
  const r = await c.pool.query(
    "SELECT stream, count(*)::int AS n, md5(string_agg(seq::text || ':' || payload::text, ',' ORDER BY seq)) AS sum FROM records WHERE appliance_id = $1 GROUP BY stream",
    [applianceId],
  );
  await c.pool.end();
  return Object.fromEntries(
    r.rows.map((x: { stream: string; n: number; sum: string }) => [x.stream, { n: x.n, sum: x.sum }]),
  );
}

test('enrol, then every record reaches PostgreSQL exactly once through cut requests, cut responses, corrupted bytes and a receiver killed -9', async () => {
  const districtPort = await freePort();
  let receiver = await startReceiverProcess(districtPort);
  const proxy = new FaultProxy({ host: '127.0.0.1', port: districtPort });
  const proxyPort = await proxy.listen();
  const dir = tempDir('classedge-sync-');
  let t: TestAppliance | undefined;
  try {
    const token = await run(process.execPath, [
      join(ROOT, 'bin', 'classedge-district.js'),
      'token',
      'create',
      '--appliance',
      'room-101',
      '--database',
      pgsql.url,
    ]);
    assert.equal(token.code, 0, token.err);
    // The classroom's configuration (with its appliance id) exists before enrolment.
    t = await startTestAppliance(
      // Readings acknowledged within milliseconds (not the flash-saving default of seconds): the faults below
      // must be queued before the agent's first bulk round.
      `appliance: { id: room-101 }\nstore: { groupCommitMaxDelayMs: 5 }\nsync: { allowPlainHttp: true, intervalMs: 200, batchMaxRecords: 4000, retryMaxMs: 1000, timeoutMs: 5000 }`,
      { keepDir: dir.path },
    );
    await t.stop();
    // The same command twice with the same one-time token: enrolled once, refused the second time.
    const enrolWithToken = () =>
      run(process.execPath, [
        CLI,
        'enrol',
        '--district',
        `http://127.0.0.1:${proxyPort}`,
        '--token',
        token.out.trim(),
        '--config',
        join(dir.path, 'config.yaml'),
      ]);
    const again = await enrolWithToken();
    assert.equal(again.code, 0, again.err + again.out);
    const reuse = await enrolWithToken();
    assert.equal(reuse.code, 2, 'a one-time token works once');
    assert.match(reuse.err, /used or expired/);

    t = await startTestAppliance(
      // Readings acknowledged within milliseconds (not the flash-saving default of seconds): the faults below
      // must be queued before the agent's first bulk round.
      `appliance: { id: room-101 }\nstore: { groupCommitMaxDelayMs: 5 }\nsync: { allowPlainHttp: true, intervalMs: 200, batchMaxRecords: 4000, retryMaxMs: 1000, timeoutMs: 5000 }`,
      { keepDir: dir.path },
    );
    const base = Date.parse('2026-11-23T00:00:00Z');
    await produce(t, 20_000, base);
    // An environment alert, raised then cleared: two outbox records of a priority stream.
    await t.appliance.readings.submitAsync([
      { deviceId: 'co2-a', metric: 'co2_ppm', value: 1500, ts: base + 50_000, receivedAt: Date.now() },
    ]);
    await t.appliance.readings.submitAsync([
      { deviceId: 'co2-a', metric: 'co2_ppm', value: 600, ts: base + 50_001, receivedAt: Date.now() },
    ]);
    proxy.faults.push('cut-request', 'cut-response', 'corrupt', 'delay');
    t.appliance.sync.requestBulk();
    // Mid-way, the receiver dies hard and comes back.
    await waitFor(
      async () => ((await districtCounts('room-101')).readings?.n ?? 0) > 0 || undefined,
      'first readings committed',
      20_000,
    );
    receiver.kill('SIGKILL');
    await new Promise((r) => receiver.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    receiver = await startReceiverProcess(districtPort);
    t.appliance.sync.requestBulk();
    await waitFor(
      () => (t?.appliance.sync.streams().every((s) => s.backlog === 0) ? true : undefined),
      'every stream drained',
      60_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}: ${JSON.stringify(t?.appliance.sync.streams())} ${JSON.stringify(t?.appliance.sync.status())} ${t?.logs
          .filter((l) => l.includes('sync'))
          .slice(-5)
          .join('')}`,
      );
    });
    assert.ok(proxy.applied.length >= 4, `faults applied: ${proxy.applied.join(', ')}`);
    const got = await districtCounts('room-101');
    // Exactly what was produced, by count and by content checksum.
    const local = withDbFile(t.dataDir, (db) =>
      db
        .prepare<[], { n: number; sum: number }>(
          "SELECT count(*) AS n, sum(value) AS sum FROM readings WHERE device_id = 'co2-a'",
        )
        .get(),
    );
    assert.equal(got.readings?.n, local?.n);
    const c = new DistrictReceiver({ databaseUrl: pgsql.url });
    const sum = (
      await c.pool.query(
        "SELECT sum((payload->>'value')::float) AS s FROM records WHERE appliance_id = 'room-101' AND stream = 'readings'",
      )
    ).rows[0].s;
    await c.pool.end();
    assert.equal(Number(sum), local?.sum);
    assert.equal(got['env-alerts']?.n, 2, 'raised and cleared');
    assert.equal(
      withDbFile(t.dataDir, (db) => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox').get()?.n),
      0,
      'confirmed records left the outbox',
    );
    const status = await run(process.execPath, [
      CLI,
      'sync',
      'status',
      '--json',
      '--config',
      join(dir.path, 'config.yaml'),
    ]);
    const st = JSON.parse(status.out) as { enrolled: boolean; streams: { stream: string; backlog: number }[] };
    assert.equal(st.enrolled, true);
    assert.ok(st.streams.every((s) => s.backlog === 0));
    // The admin console shows the same.
    await seedAccounts(t);
    const admin = new ApiClient(t.httpUrl);
    await admin.loginAdmin(ADMIN.username, ADMIN.password);
    const api = (await admin.get('/api/v1/sync')).body as {
      enrolled: boolean;
      streams: { stream: string; confirmedSeq: number }[];
    };
    assert.equal(api.enrolled, true);
    assert.equal(api.streams.find((x) => x.stream === 'readings')?.confirmedSeq, local?.n);
  } finally {
    await t?.stop();
    await proxy.close();
    receiver.kill('SIGTERM');
    dir.cleanup();
  }
});

test('a tampered batch, one signed by another key, a replay and an unknown appliance are each refused with a reason', async () => {
  const { receiver, port, stop: stopDistrict } = await startDistrict(pgsql);
  const dir = tempDir('classedge-sync-');
  try {
    const token = await receiver.createToken('room-202');
    const { publicKeyPem, privateKey } = applianceKey(dir.path);
    const e = await fetch(`http://127.0.0.1:${port}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, applianceId: 'room-202', publicKey: publicKeyPem }),
    });
    assert.equal(e.status, 201);
    const body = gzipSync(
      '{"seq":1,"day":"2026-11-23","payload":{"a":1}}\n{"seq":2,"day":"2026-11-23","payload":{"a":2}}',
    );
    const send = async (
      b: Buffer,
      key = privateKey,
      appliance = 'room-202',
      batch = randomUUID(),
    ): Promise<{ status: number; json: { error?: string; committedSeq?: number } }> => {
      const h = { appliance, batch, stream: 'env-alerts', first: 1, last: 2 };
      const r = await fetch(`http://127.0.0.1:${port}/v1/batches`, {
        method: 'POST',
        headers: batchRequestHeaders(h, b, key),
        body: b,
      });
      return { status: r.status, json: (await r.json()) as { error?: string } };
    };
    const tampered = Buffer.from(body);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 1;
    const h = { appliance: 'room-202', batch: randomUUID(), stream: 'env-alerts', first: 1, last: 2 };
    const t1 = await fetch(`http://127.0.0.1:${port}/v1/batches`, {
      method: 'POST',
      headers: batchRequestHeaders(h, body, privateKey),
      body: tampered,
    });
    assert.equal(t1.status, 401);
    assert.match(((await t1.json()) as { message: string }).message, /tampered/);
    const badDay = await send(
      gzipSync('{"seq":1,"day":"2026-02-30","payload":{}}\n{"seq":2,"day":"2026-13-45","payload":{}}'),
    );
    // Not real days: refused by record (the appliance quarantines them), not as a malformed batch.
    assert.deepEqual([badDay.status, badDay.json.error], [422, 'record_refused']);
    const other = await send(body, privateKeyFrom(newKeyPair().privateKeyPem));
    assert.deepEqual([other.status, other.json.error], [401, 'bad_signature']);
    assert.deepEqual([(await send(body, privateKey, 'room-999')).json.error], ['unknown_appliance']);
    const batch = randomUUID();
    const ok = await send(body, privateKey, 'room-202', batch);
    assert.deepEqual([ok.status, ok.json.committedSeq], [200, 2]);
    const replay = await send(body, privateKey, 'room-202', batch);
    assert.deepEqual([replay.status, replay.json.error, replay.json.committedSeq], [409, 'replayed', 2]);
    const n = (await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'room-202'"))
      .rows[0].n;
    assert.equal(n, 2, 'nothing applied twice');
    // The day's rows are in the day's own partition.
    const part = (
      await receiver.pool.query(
        "SELECT tableoid::regclass::text AS p FROM records WHERE appliance_id = 'room-202' LIMIT 1",
      )
    ).rows[0].p;
    assert.equal(part, 'records_20261123');
  } finally {
    await stopDistrict();
    dir.cleanup();
  }
});

test('the appliance killed -9 during an upload, then restarted with its clock a day ahead: the district still gets every record once', async () => {
  const { receiver, port, stop: stopDistrict } = await startDistrict(pgsql);
  const dir = tempDir('classedge-sync-');
  try {
    // A classroom's store with 60 000 readings waiting, enrolled, its bulk window open all day.
    let t = await startTestAppliance(
      `appliance: { id: room-303 }\nsync: { allowPlainHttp: true, intervalMs: 100000 }`,
      {
        keepDir: dir.path,
      },
    );
    await produce(t, 60_000, Date.parse('2026-11-23T00:00:00Z'));
    await t.stop();
    const token = await receiver.createToken('room-303');
    const yaml = `dataDir: ${JSON.stringify(dir.path)}\nappliance: { id: room-303 }\nsync: { allowPlainHttp: true, intervalMs: 200, batchMaxRecords: 2000, retryMaxMs: 1000, bulkWindow: { from: '00:00', to: '23:59' } }\n`;
    writeFileSync(join(dir.path, 'config.yaml'), yaml);
    const enrol = await run(process.execPath, [
      CLI,
      'enrol',
      '--district',
      `http://127.0.0.1:${port}`,
      '--token',
      token,
      '--config',
      join(dir.path, 'config.yaml'),
    ]);
    assert.equal(enrol.code, 0, enrol.err);
    const count = async (): Promise<number> =>
      (await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'room-303'")).rows[0]
        .n as number;
    let app = await spawnAppliance(dir.path, ['--config', join(dir.path, 'config.yaml')]);
    await waitFor(async () => ((await count()) >= 10_000 ? true : undefined), 'part of the upload committed', 30_000);
    app.child.kill('SIGKILL');
    await app.exited;
    const mid = await count();
    assert.ok(mid < 60_000, 'killed before the end');
    // Back up: it resumes from the district's own position.
    app = await spawnAppliance(dir.path, ['--config', join(dir.path, 'config.yaml')]);
    await waitFor(async () => ((await count()) === 60_000 ? true : undefined), 'every reading committed', 60_000);
    app.child.kill('SIGTERM');
    await app.exited;
    const dupes = (
      await receiver.pool.query(
        "SELECT count(*) - count(DISTINCT seq) AS d FROM records WHERE appliance_id = 'room-303'",
      )
    ).rows[0].d;
    assert.equal(Number(dupes), 0);
    // An agent whose clock is a day ahead still sends, and the district still takes it.
    t = await startTestAppliance(`appliance: { id: room-303 }\nsync: { allowPlainHttp: true, intervalMs: 100000 }`, {
      keepDir: dir.path,
    });
    await t.appliance.readings.submitAsync([
      { deviceId: 'late', metric: 'co2_ppm', value: 777, ts: Date.now() + 86_400_000, receivedAt: Date.now() },
    ]);
    const skewed = new SyncAgent({
      config: t.config,
      store: t.appliance.store,
      log: createLogger({ level: 'silent' }),
      now: () => Date.now() + 86_400_000,
      applyReadings: () => t?.appliance.readings.apply(),
      pendingReadings: () => t?.appliance.readings.pendingRows ?? 0,
    });
    await skewed.start();
    skewed.requestBulk();
    await waitFor(async () => ((await count()) === 60_001 ? true : undefined), 'the skewed reading committed', 20_000);
    await skewed.stop();
    await t.stop();
  } finally {
    await stopDistrict();
    dir.cleanup();
  }
});

test('district configuration: signed and newer is applied through the schema; invalid, tampered and older are refused and reported', async () => {
  const { receiver, port, stop: stopDistrict } = await startDistrict(pgsql);
  const dir = tempDir('classedge-sync-');
  let t: TestAppliance | undefined;
  try {
    t = await startTestAppliance(
      `appliance: { id: room-404 }\nsync: { allowPlainHttp: true, intervalMs: 200, retryMaxMs: 1000 }`,
      {
        keepDir: dir.path,
      },
    );
    await t.stop();
    const token = await receiver.createToken('room-404');
    const file = join(dir.path, 'config.yaml');
    const enrol = await run(process.execPath, [
      CLI,
      'enrol',
      '--district',
      `http://127.0.0.1:${port}`,
      '--token',
      token,
      '--config',
      file,
    ]);
    assert.equal(enrol.code, 0, enrol.err);
    t = await startTestAppliance(
      `appliance: { id: room-404 }\nsync: { allowPlainHttp: true, intervalMs: 200, retryMaxMs: 1000 }`,
      {
        keepDir: dir.path,
      },
    );
    const applied = async (): Promise<string | undefined> =>
      (
        await receiver.pool.query(
          "SELECT version || ' ' || result AS r FROM applied_config WHERE appliance_id = 'room-404'",
        )
      ).rows[0]?.r as string | undefined;
    const text = (): string => readFileSync(file, 'utf8');

    await receiver.publishConfig(
      { appliance: 'room-404' },
      { kiosk: { idleLockSeconds: 600 }, timetable: { holidays: ['2026-12-25'] } },
    );
    await waitFor(async () => ((await applied()) === '1 applied' ? true : undefined), 'v1 applied', 15_000);
    assert.match(text(), /idleLockSeconds: 600/);
    assert.match(text(), /2026-12-25/);

    await receiver.publishConfig({ appliance: 'room-404' }, { kiosk: { idleLockSeconds: 5 } });
    await waitFor(async () => ((await applied())?.startsWith('2 refused') ? true : undefined), 'v2 refused', 15_000);
    assert.match((await applied()) ?? '', />= 30/, "the schema's own message");
    assert.match(text(), /idleLockSeconds: 600/, 'nothing applied');

    await receiver.publishConfig({ appliance: 'room-404' }, { kiosk: { idleLockSeconds: 700 } });
    await receiver.pool.query(
      `UPDATE desired_config SET config = '{"kiosk":{"idleLockSeconds":900}}' WHERE appliance_id = 'room-404'`,
    );
    await waitFor(
      async () => ((await applied())?.startsWith('3 refused: signature') ? true : undefined),
      'v3 refused',
      15_000,
    );
    assert.doesNotMatch(text(), /900/);

    await receiver.publishConfig({ appliance: 'room-404' }, { kiosk: { idleLockSeconds: 800 } });
    await waitFor(async () => ((await applied()) === '4 applied' ? true : undefined), 'v4 applied', 15_000);
    // A desired version that went backwards (a restored district database) is not applied.
    const v2sig = (await receiver.pool.query("SELECT signature FROM desired_config WHERE appliance_id = 'room-404'"))
      .rows[0].signature;
    await receiver.pool.query(
      'UPDATE desired_config SET version = 3, config = \'{"kiosk":{"idleLockSeconds":700}}\', signature = $1 WHERE appliance_id = \'room-404\'',
      [v2sig],
    );
    await waitFor(
      async () => ((await applied())?.startsWith('3 refused: version 3 is older') ? true : undefined),
      'older refused',
      15_000,
    );
    assert.match(text(), /idleLockSeconds: 800/);
    assert.equal(
      t.appliance.store.audit.list({ limit: 20, action: 'config.pull' }).filter((a) => a.result === 'denied').length,
      3,
    );
  } finally {
    await t?.stop();
    await stopDistrict();
    dir.cleanup();
  }
});

test('demo mode over HTTPS with a district certificate: its data reaches PostgreSQL, and status shows it; uploads keep to the bandwidth cap', async () => {
  const dir = tempDir('classedge-sync-demo-');
  const cert = join(dir.path, 'district.crt');
  const key = join(dir.path, 'district.key');
  const ssl = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=district',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  assert.equal(ssl.code, 0, ssl.err);
  const port = await freePort();
  const receiver = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'classedge-district.js'),
      'serve',
      '--database',
      pgsql.url,
      '--port',
      String(port),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    receiver.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve()),
  );
  const file = join(dir.path, 'demo.yaml');
  const kbps = 400;
  writeFileSync(
    file,
    `sync: { intervalMs: 500, districtCaFile: ${JSON.stringify(cert)}, bulkWindow: { from: '00:00', to: '23:59' }, bandwidthKbps: ${kbps} }\nhttp: { port: 0 }\nmqtt: { port: 0 }\n`,
  );
  let demo: ChildProcess | undefined;
  try {
    const token = await run(process.execPath, [
      join(ROOT, 'bin', 'classedge-district.js'),
      'token',
      'create',
      '--appliance',
      'demo-classroom',
      '--database',
      pgsql.url,
    ]);
    const enrol = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(
        process.execPath,
        [
          CLI,
          'enrol',
          '--demo',
          '--config',
          file,
          '--district',
          `https://127.0.0.1:${port}`,
          '--token',
          token.out.trim(),
        ],
        { cwd: dir.path },
      );
      let err = '';
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('close', (code) => resolve({ code, err }));
    });
    assert.equal(enrol.code, 0, enrol.err);
    demo = spawn(process.execPath, [CLI, 'start', '--demo', '--config', file, '--log-level', 'warn'], {
      cwd: dir.path,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let banner = '';
    demo.stderr?.on('data', (d: Buffer) => (banner += d.toString()));
    const c = new DistrictReceiver({ databaseUrl: pgsql.url });
    const readings = async (): Promise<number> =>
      (
        await c.pool.query(
          "SELECT count(*)::int AS n FROM records WHERE appliance_id = 'demo-classroom' AND stream = 'readings'",
        )
      ).rows[0].n as number;
    await waitFor(async () => ((await readings()) > 0 ? true : undefined), 'demo readings in PostgreSQL', 30_000);
    await c.pool.end();
    // Core services (sync among them) run before every demo device has started; the banner follows.
    const health = await waitFor(
      () => /Health:\s+(http:\/\/\S+)\/api\/v1\/health/.exec(banner)?.[1],
      'the demo banner',
      30_000,
    );
    const admin = new ApiClient(health);
    await admin.loginAdmin('admin', 'Demo-Admin-2026');
    const st = (await admin.get('/api/v1/sync')).body as {
      enrolled: boolean;
      district: string;
      streams: { stream: string; confirmedSeq: number }[];
    };
    assert.equal(st.enrolled, true);
    assert.match(st.district, /^https:/);
    assert.ok((st.streams.find((s) => s.stream === 'readings')?.confirmedSeq ?? 0) > 0);
    const cli = await run(process.execPath, [
      CLI,
      'sync',
      'status',
      '--json',
      '--data-dir',
      join(dir.path, '.classedge-demo'),
    ]);
    assert.equal((JSON.parse(cli.out) as { enrolled: boolean }).enrolled, true);
    // And the admin console's page, in a real browser.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${health}/admin#/sync`);
      await page.fill('input[name=username]', 'admin');
      await page.fill('input[name=password]', 'Demo-Admin-2026');
      await page.click('[data-testid=admin-login]');
      await page.waitForSelector('[data-testid=sync]:has-text("https://127.0.0.1")');
      const confirmed = Number(await page.textContent('[data-testid=stream-readings] td:nth-child(2)'));
      assert.ok(confirmed > 0, `readings confirmed ${confirmed}`);
    } finally {
      await browser.close();
    }
  } finally {
    demo?.kill('SIGTERM');
    if (demo) await new Promise((r) => demo?.once('exit', r));
    receiver.kill('SIGTERM');
    dir.cleanup();
  }
});

test('the bandwidth cap spreads uploads: the bytes sent take at least their time at the cap', async () => {
  const { receiver, port, stop: stopDistrict } = await startDistrict(pgsql);
  const dir = tempDir('classedge-sync-');
  try {
    const t = await startTestAppliance(
      `appliance: { id: room-505 }\nsync: { allowPlainHttp: true, intervalMs: 100000, batchMaxRecords: 2000, bandwidthKbps: 200, bulkWindow: { from: '00:00', to: '23:59' } }`,
      { keepDir: dir.path },
    );
    await produce(t, 12_000, Date.parse('2026-11-23T00:00:00Z'));
    const token = await receiver.createToken('room-505');
    const { publicKeyPem } = applianceKey(dir.path);
    const e = await fetch(`http://127.0.0.1:${port}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, applianceId: 'room-505', publicKey: publicKeyPem }),
    });
    const { writeEnrolment } = await import('../../edge/sync/keys.js');
    writeEnrolment(dir.path, {
      districtUrl: `http://127.0.0.1:${port}`,
      applianceId: 'room-505',
      districtPublicKeyPem: ((await e.json()) as { districtPublicKey: string }).districtPublicKey,
      enrolledAt: Date.now(),
    });
    let bytes = 0;
    const agent = new SyncAgent({
      config: t.config,
      store: t.appliance.store,
      log: createLogger({ level: 'silent' }),
      applyReadings: () => t.appliance.readings.apply(),
      pendingReadings: () => t.appliance.readings.pendingRows,
    });
    const t0 = Date.now();
    await agent.start();
    agent.requestBulk();
    await waitFor(
      () => (agent.streams().find((s) => s.stream === 'readings')?.backlog === 0 ? true : undefined),
      'uploaded',
      60_000,
      20,
    );
    const elapsed = Date.now() - t0;
    bytes = agent.status().counters?.bytesSent ?? 0;
    await agent.stop();
    await t.stop();
    // Each request waits for the ones before it at 200 kbit/s; only the last one's own time is not
    // waited for, and a batch here is under 20 KB.
    const floorMs = ((bytes - 20_000) * 8) / 200;
    assert.ok(bytes > 20_000, `${bytes} bytes sent`);
    assert.ok(elapsed >= floorMs, `${bytes} bytes in ${elapsed} ms: faster than the cap allows (${floorMs} ms)`);
  } finally {
    await stopDistrict();
    dir.cleanup();
  }
});
