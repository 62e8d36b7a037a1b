import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startDistrict } from '../helpers/district.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestAppliance, seedAccounts, ADMIN, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { launchChromium } from '../helpers/browser.js';
import { CLI, ROOT, freePort, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { EnvironmentStore } from '../../cloud-sync/server/environment-store.js';
import { environmentAnswer } from '../../cloud-sync/server/console/environment-view.js';
import { EnvironmentAnswer } from '../../cloud-sync/server/console/contract.js';
import { DISTRICT_MIGRATIONS } from '../../cloud-sync/server/schema.js';
import { MAX_REFUSED_LISTED, Refusal, batchLines, dayWindow } from '../../cloud-sync/server/requests.js';
import { H, batchRequestHeaders, type BatchHeaders } from '../../cloud-sync/protocol.js';
import { newKeyPair, privateKeyFrom } from '../../edge/security/signing.js';
import { createLogger } from '../../edge/log.js';

let pgsql: TestPostgres;
before(async () => {
  pgsql = await startPostgres();
});
after(async () => pgsql.stop());

const DAY = 86_400_000;

interface Answer {
  status: number | undefined;
  json: { error?: string; message?: string; committedSeq?: number; refused?: { seq: number; reason: string }[] };
  /** The connection was closed before an answer was read (the body was refused unread). */
  reset: boolean;
}

/** POST a batch with exactly these headers and body (node:http, so Content-Length is what is sent). */
function post(port: number, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer): void => {
      if (!settled) resolve(a);
      settled = true;
    };
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/batches',
      headers: { 'content-length': String(body.length), ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        done({ status: res.statusCode, json: text ? (JSON.parse(text) as Answer['json']) : {}, reset: false }),
      );
      res.on('error', () => done({ status: res.statusCode, json: {}, reset: false }));
    });
    // The receiver answers and closes while a refused body is still being written: EPIPE/ECONNRESET here.
    req.on('error', () => done({ status: undefined, json: {}, reset: true }));
    req.end(body);
  });
}

/** An appliance key enrolled with the district at `url` under `id`. */
async function enrolKey(url: string, id: string): Promise<KeyObject> {
  const admin = new DistrictReceiver({ databaseUrl: pgsql.url });
  const token = await admin.createToken(id);
  await admin.close();
  const k = newKeyPair();
  const e = await fetch(`${url}/v1/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, applianceId: id, publicKey: k.publicKeyPem }),
  });
  assert.equal(e.status, 201, await e.text());
  return privateKeyFrom(k.privateKeyPem);
}

const ndjson = (lines: unknown[]): Buffer => gzipSync(lines.map((l) => JSON.stringify(l)).join('\n'));
const today = (): string => new Date().toISOString().slice(0, 10);

test('a poisoned reading is quarantined with the reason and the stream goes on; sync status (CLI, API, admin console) shows the quarantine', async () => {
  const { receiver, port, stop: stopDistrict } = await startDistrict(pgsql);
  const proxy = new FaultProxy({ host: '127.0.0.1', port });
  const proxyPort = await proxy.listen();
  const dir = tempDir('classedge-limits-');
  let t: TestAppliance | undefined;
  try {
    const token = await receiver.createToken('room-401');
    const yaml = `appliance: { id: room-401 }\nsync: { intervalMs: 200, batchMaxRecords: 50, retryMaxMs: 1000, timeoutMs: 5000, allowPlainHttp: true }`;
    writeFileSync(join(dir.path, 'config.yaml'), `dataDir: ${JSON.stringify(dir.path)}\n${yaml}\n`);
    const enrol = await run(process.execPath, [
      CLI,
      'enrol',
      '--district',
      `http://127.0.0.1:${proxyPort}`,
      '--token',
      token,
      '--config',
      join(dir.path, 'config.yaml'),
    ]);
    assert.equal(enrol.code, 0, enrol.err);
    t = await startTestAppliance(yaml, { keepDir: dir.path });
    const app = t.appliance;
    const good = (n: number, at: number) =>
      Array.from({ length: n }, (_, k) => ({
        deviceId: 'co2-a',
        metric: 'co2_ppm',
        value: 500 + k,
        ts: at + k,
        receivedAt: Date.now(),
      }));
    const now = Date.now();
    // Rows stored before the checks at ingest existed (or by a box whose clock was wrong): a day
    // the district's window refuses (2021, 1971) and one no calendar has (year -1).
    const poison = [Date.UTC(2021, 2, 1), Date.UTC(1971, 0, 1), Date.UTC(-1, 0, 1)].map((ts) => ({
      deviceId: 'co2-a',
      metric: 'co2_ppm',
      value: 600,
      ts,
      receivedAt: now,
    }));
    await app.readings.submitAsync(good(30, now - 3_600_000));
    await app.readings.submitAsync(poison.slice(0, 1));
    await app.readings.submitAsync(good(60, now - 3_000_000));
    await app.readings.submitAsync(poison.slice(1));
    await app.readings.submitAsync(good(10, now - 2_000_000));
    // A cut answer on the way: the refusal is simply asked for again.
    proxy.faults.push('cut-response');
    app.sync.requestBulk();
    const readings = () => app.sync.streams().find((s) => s.stream === 'readings');
    await waitFor(() => (readings()?.backlog === 0 ? true : undefined), 'the readings stream drained', 30_000);
    const count = async (): Promise<number> =>
      (await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'room-401'")).rows[0]
        .n as number;
    assert.equal(await count(), 100, 'every good reading reached the district');
    assert.equal(readings()?.quarantined, 3);
    const q = app.sync.quarantine();
    assert.equal(q.count, 3);
    assert.deepEqual(q.byStream, { readings: 3 });
    for (const day of ['"2021-03-01"', '"1971-01-01"', '"-000001-01"'])
      assert.ok(
        q.latest.some(
          (x) => x.reason.includes(`got ${day}`) && /\/day: expected a real day from \d{4}-/.test(x.reason),
        ),
        `a reason names /day, the window and ${day}: ${JSON.stringify(q.latest)}`,
      );
    // No partition was made for a refused day.
    const parts = await receiver.pool.query(
      "SELECT relname FROM pg_class WHERE relname LIKE 'records_19%' OR relname LIKE 'records_2021%'",
    );
    assert.equal(parts.rowCount, 0);

    // The stream goes on: later readings are sent past the quarantined numbers.
    await app.readings.submitAsync(good(20, now - 1_000_000));
    app.sync.requestBulk();
    await waitFor(async () => ((await count()) === 120 ? true : undefined), 'later readings committed', 30_000);

    // `classedge sync status` and the API show the quarantine with its reasons.
    const cli = await run(process.execPath, [
      CLI,
      'sync',
      'status',
      '--json',
      '--config',
      join(dir.path, 'config.yaml'),
    ]);
    assert.equal(cli.code, 0, cli.err);
    const status = JSON.parse(cli.out) as {
      streams: { stream: string; quarantined: number }[];
      quarantine: { count: number; latest: { reason: string }[] };
    };
    assert.equal(status.quarantine.count, 3);
    assert.equal(status.streams.find((s) => s.stream === 'readings')?.quarantined, 3);
    const text = await run(process.execPath, [CLI, 'sync', 'status', '--config', join(dir.path, 'config.yaml')]);
    assert.match(text.out, /quarantine: 3 record\(s\) the district refused \(readings 3\)/);
    assert.match(text.out, /got "1971-01-01"/);
    await seedAccounts(t);
    const admin = new ApiClient(t.httpUrl);
    await admin.loginAdmin(ADMIN.username, ADMIN.password);
    const api = (await admin.get('/api/v1/sync')).body as {
      quarantine: { count: number; byStream: Record<string, number>; latest: { stream: string; reason: string }[] };
    };
    assert.equal(api.quarantine.count, 3);
    assert.ok(api.quarantine.latest.every((x) => x.stream === 'readings' && x.reason.startsWith('/day: expected')));
    // And the admin console's sync page, in a real browser: the count and the reasons.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${t.httpUrl}/admin#/sync`);
      await page.fill('input[name=username]', ADMIN.username);
      await page.fill('input[name=password]', ADMIN.password);
      await page.click('[data-testid=admin-login]');
      await page.waitForSelector('[data-testid=sync-quarantine]:has-text("1971-01-01")');
      assert.match((await page.textContent('[data-testid=sync-quarantine] h3')) ?? '', /3/);
      assert.equal((await page.textContent('[data-testid=stream-readings] td:nth-child(4)'))?.trim(), '3');
    } finally {
      await browser.close();
    }
  } finally {
    await t?.stop();
    await proxy.close();
    await stopDistrict();
    dir.cleanup();
  }
});

test('the receiver takes only days inside its window, refuses records by number, checks size and signature on the headers, logs a 500, and closes twice', async () => {
  const logs: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const receiver = new DistrictReceiver({
    databaseUrl: pgsql.url,
    days: { back: 10, ahead: 1 },
    limits: { maxBodyBytes: 64 * 1024, maxRecords: 100 },
    log,
  });
  await receiver.migrate();
  const port = await receiver.listen(0);
  const url = `http://127.0.0.1:${port}`;
  try {
    const key = await enrolKey(url, 'room-402');
    const h = (first: number, last: number): BatchHeaders => ({
      appliance: 'room-402',
      batch: randomUUID(),
      stream: 'health-checks',
      first,
      last,
    });
    const old = new Date(Date.now() - 11 * DAY).toISOString().slice(0, 10);
    const ahead = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
    const body = ndjson([
      { seq: 1, day: today(), payload: { a: 1 } },
      { seq: 2, day: old, payload: { a: 2 } },
      { seq: 3, day: ahead, payload: { a: 3 } },
      { seq: 4, day: '0000-01-01', payload: { a: 4 } },
      { seq: 5, day: today(), payload: { a: 5 } },
      // JSON may carry U+0000, jsonb may not: before, this record failed its insert on every retry (500).
      { seq: 6, day: today(), payload: { device: { name: 'sensor\u0000' } } },
    ]);
    const refused = await post(port, batchRequestHeaders(h(1, 6), body, key), body);
    assert.equal(refused.status, 422);
    assert.equal(refused.json.error, 'record_refused');
    assert.deepEqual(
      refused.json.refused?.map((r) => r.seq),
      [2, 3, 4, 6],
    );
    assert.equal(
      refused.json.refused?.[3]?.reason,
      'line 6: /payload/device/name: expected text without the NUL character (\\u0000), which the district cannot store',
    );
    assert.match(
      refused.json.refused?.[0]?.reason ?? '',
      /\/day: expected a real day from .* \(10 days back, 1 ahead of the district's clock\), got/,
    );
    assert.equal(
      (await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'room-402'")).rows[0].n,
      0,
      'nothing of a refused batch is kept',
    );
    // The same numbers sent as quarantined lines: the rest is committed and the stream has no gap.
    const again = ndjson([
      { seq: 1, day: today(), payload: { a: 1 } },
      { seq: 2, quarantined: 'refused' },
      { seq: 3, quarantined: 'refused' },
      { seq: 4, quarantined: 'refused' },
      { seq: 5, day: today(), payload: { a: 5 } },
      { seq: 6, quarantined: 'refused' },
    ]);
    const ok = await post(port, batchRequestHeaders(h(1, 6), again, key), again);
    assert.deepEqual([ok.status, ok.json.committedSeq], [200, 6]);
    assert.equal(
      (await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'room-402'")).rows[0].n,
      2,
    );

    // Limits on the headers, before the body: a Content-Length over the cap, too many records, no
    // signature, a signature that does not verify, an unknown appliance; a body that is not the signed one.
    const big = Buffer.alloc(65 * 1024, 1);
    const over = await post(port, batchRequestHeaders(h(6, 6), big, key), big);
    assert.deepEqual([over.status, over.json.error], [413, 'too_large']);
    const many = await post(port, batchRequestHeaders(h(6, 1006), body, key), body);
    assert.deepEqual([many.status, many.json.error], [413, 'too_large']);
    const unsigned = batchRequestHeaders(h(6, 10), body, key);
    delete unsigned[H.signature];
    const u = await post(port, unsigned, body);
    assert.deepEqual([u.status, u.json.message], [400, `missing header ${H.signature}`]);
    const forged = await post(
      port,
      batchRequestHeaders(h(6, 10), body, privateKeyFrom(newKeyPair().privateKeyPem)),
      body,
    );
    assert.deepEqual([forged.status, forged.json.error], [401, 'bad_signature']);
    const stranger = await post(port, batchRequestHeaders({ ...h(6, 10), appliance: 'room-999' }, body, key), body);
    assert.deepEqual([stranger.status, stranger.json.error], [401, 'unknown_appliance']);
    const other = ndjson([{ seq: 6, day: today(), payload: {} }]);
    const swapped = await post(
      port,
      batchRequestHeaders(h(6, 6), other, key),
      ndjson([{ seq: 6, day: today(), payload: { x: 1 } }]),
    );
    assert.deepEqual([swapped.status, swapped.json.error], [401, 'bad_signature']);
    assert.match(swapped.json.message ?? '', /tampered/);
    // A line longer than the cap inflates no further.
    const long = ndjson([{ seq: 6, day: today(), payload: 'x'.repeat(2 * 1024 * 1024) }]);
    const l = await post(port, batchRequestHeaders(h(6, 6), long, key), long);
    assert.deepEqual([l.status, l.json.error], [413, 'too_large']);

    // A failure the receiver did not expect is answered 500 and logged through the one logger.
    await receiver.pool.query('ALTER TABLE batches RENAME TO batches_away');
    const fiveHundred = await post(port, batchRequestHeaders(h(6, 6), other, key), other);
    await receiver.pool.query('ALTER TABLE batches_away RENAME TO batches');
    assert.equal(fiveHundred.status, 500);
    const logged = logs.map((x) => JSON.parse(x) as { level: number; msg: string; err?: { message: string } });
    assert.ok(
      logged.some((x) => x.level === 50 && x.msg === 'request failed' && /batches/.test(x.err?.message ?? '')),
      logs.join(''),
    );
  } finally {
    await receiver.close();
    // A second close (a signal during shutdown, a test's finally) waits for the first instead of throwing.
    await receiver.close();
  }
});

/** The receiver process's resident memory: now and its peak (kB, /proc/PID/status). */
function memory(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** A gzip of `size` bytes of newlines: about 1 MiB on the wire, `size` once inflated. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const chunk = Buffer.alloc(1024 * 1024, 0x0a);
  for (let i = 0; i < size / chunk.length; i++) if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
  await new Promise((r) => gz.end(r));
  return Buffer.concat(out);
}

/** How much the receiver's peak resident memory may grow while it refuses the hostile requests. */
const RSS_BOUND_KB = 24 * 1024;

test(`a 1 GiB gzip bomb and 16 MiB unsigned bodies are refused without the receiver's peak RSS growing by ${RSS_BOUND_KB / 1024} MiB`, async (t) => {
  const districtPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'classedge-district.js'), 'serve', '--database', pgsql.url, '--port', String(districtPort)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await new Promise<void>((resolve) =>
      child.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve()),
    );
    const pid = child.pid as number;
    const url = `http://127.0.0.1:${districtPort}`;
    const key = await enrolKey(url, 'room-403');
    const bomb = await gzipBomb(1024 * 1024 * 1024);
    assert.ok(bomb.length < 2 * 1024 * 1024, `the bomb is small on the wire (${bomb.length} bytes)`);
    const huge = Buffer.alloc(16 * 1024 * 1024 - 1024, 0x61);
    const h = (first: number, last: number): BatchHeaders => ({
      appliance: 'room-403',
      batch: randomUUID(),
      stream: 'readings',
      first,
      last,
    });
    // Warm up every path once (a good batch, a refusal) so that what grows afterwards is what the hostile bodies cost.
    const warm = ndjson([{ seq: 1, day: today(), payload: { v: 1 } }]);
    assert.equal((await post(districtPort, batchRequestHeaders(h(1, 1), warm, key), warm)).status, 200);
    const small = Buffer.alloc(1024, 0x61);
    const smallUnsigned = batchRequestHeaders(h(2, 2), small, key);
    delete smallUnsigned[H.signature];
    assert.equal((await post(districtPort, smallUnsigned, small)).status, 400);
    await new Promise((r) => setTimeout(r, 500));
    const start = memory(pid);

    const unsigned = batchRequestHeaders(h(2, 2), huge, key);
    delete unsigned[H.signature];
    const forged = batchRequestHeaders(h(2, 2), huge, privateKeyFrom(newKeyPair().privateKeyPem));
    const answers = await Promise.all([
      post(districtPort, unsigned, huge),
      post(districtPort, unsigned, huge),
      post(districtPort, unsigned, huge),
      post(districtPort, forged, huge),
      post(districtPort, batchRequestHeaders(h(2, 1001), bomb, key), bomb),
    ]);
    const end = memory(pid);
    const grew = end.hwm - start.hwm;
    t.diagnostic(`receiver peak RSS ${start.hwm} kB -> ${end.hwm} kB (+${grew} kB); RSS now ${end.rss} kB`);
    assert.ok(
      grew < RSS_BOUND_KB,
      `the receiver's peak RSS grew by ${grew} kB (from ${start.hwm} kB to ${end.hwm} kB; bound ${RSS_BOUND_KB} kB)`,
    );
    for (const a of answers.slice(0, 3))
      assert.ok(a.reset || a.status === 400, `unsigned: refused (${String(a.status)} ${JSON.stringify(a.json)})`);
    assert.ok(answers[3]?.reset || answers[3]?.status === 401, `forged: ${JSON.stringify(answers[3])}`);
    assert.deepEqual([answers[4]?.status, answers[4]?.json.error], [413, 'too_large'], JSON.stringify(answers[4]));
    assert.match(answers[4]?.json.message ?? '', /inflates to more than/);
    // Still serving.
    const next = ndjson([{ seq: 2, day: today(), payload: { v: 2 } }]);
    const ok = await post(districtPort, batchRequestHeaders(h(2, 2), next, key), next);
    assert.deepEqual([ok.status, ok.json.committedSeq], [200, 2]);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test("the district's signing key is out of the receiver role's reach, and a receiver on that role still enrols and takes batches", async () => {
  const owner = new DistrictReceiver({ databaseUrl: pgsql.url });
  await owner.migrate();
  await owner.pool.query('DROP ROLE IF EXISTS receiver_login');
  await owner.pool.query('CREATE ROLE receiver_login LOGIN IN ROLE classedge_receiver');
  const receiverDb = pgsql.url.replace('postgres@', 'receiver_login@');
  const districtPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'classedge-district.js'),
      'serve',
      '--no-migrate',
      '--database',
      receiverDb,
      '--port',
      String(districtPort),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  const asReceiver = new DistrictReceiver({ databaseUrl: receiverDb });
  try {
    await new Promise<void>((resolve) =>
      child.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve()),
    );
    // The receiver's login cannot read the district's private key. The only other private key in the
    // database is the receiver's own answer key, which the district key certifies and which it may read.
    await assert.rejects(
      asReceiver.pool.query('SELECT private_key FROM district_signing_key'),
      /permission denied for table district_signing_key/,
    );
    await assert.rejects(asReceiver.store.districtKey(), /permission denied/);
    const columns = await owner.pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name LIKE '%private%' ORDER BY table_name",
    );
    assert.deepEqual(
      columns.rows.map((r) => r.table_name),
      ['district_answer_key', 'district_signing_key'],
    );
    // The engineer's commands (owner's login) still sign.
    const pair = await owner.store.districtKey();
    assert.match(pair.privateKeyPem, /PRIVATE KEY/);

    // The receiver on the restricted role: enrolment answers the public key; a batch of a new day
    // makes its partition through records_partition.
    const token = await owner.createToken('room-404');
    const k = newKeyPair();
    const e = await fetch(`http://127.0.0.1:${districtPort}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, applianceId: 'room-404', publicKey: k.publicKeyPem }),
    });
    assert.equal(e.status, 201, await e.clone().text());
    assert.equal(((await e.json()) as { districtPublicKey: string }).districtPublicKey, pair.publicKeyPem);
    const day = new Date(Date.now() - 7 * DAY).toISOString().slice(0, 10);
    const body = ndjson([{ seq: 1, day, payload: { v: 1 } }]);
    const h = { appliance: 'room-404', batch: randomUUID(), stream: 'readings', first: 1, last: 1 };
    const ok = await post(districtPort, batchRequestHeaders(h, body, privateKeyFrom(k.privateKeyPem)), body);
    assert.deepEqual([ok.status, ok.json.committedSeq], [200, 1], JSON.stringify(ok.json));
    const part = await owner.pool.query(
      "SELECT tableoid::regclass::text AS p FROM records WHERE appliance_id = 'room-404'",
    );
    assert.equal(part.rows[0]?.p, `records_${day.replace(/-/g, '')}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
    await asReceiver.close();
    await owner.close();
  }
});

test('a refusal lists at most 1000 records, so its answer stays small; a zero-filled gzip bomb stops at the line cap', async () => {
  const h = { appliance: 'room-405', batch: randomUUID(), stream: 'readings', first: 1, last: 1500 };
  const limits = { maxBodyBytes: 1 << 24, maxInflatedBytes: 1 << 26, maxLineBytes: 1 << 20, maxRecords: 100_000 };
  const window = dayWindow(Date.now(), 400, 2);
  const lines = Array.from({ length: 1500 }, (_, i) => ({ seq: i + 1, day: '1971-01-01', payload: {} }));
  const err: unknown = await batchLines(ndjson(lines), h, limits, window).catch((e: unknown) => e);
  assert.ok(err instanceof Refusal);
  assert.equal(err.status, 422);
  assert.equal(err.extra.refused?.length, MAX_REFUSED_LISTED);
  assert.match(err.message, /^1500 record\(s\) refused, the first: seq 1: \/day: expected/);
  const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const bomb: unknown = await batchLines(zeros, h, limits, window).catch((e: unknown) => e);
  assert.ok(bomb instanceof Refusal);
  assert.deepEqual([bomb.status, bomb.message], [413, `a line longer than ${1 << 20} bytes`]);
});

test('a district database from before: migrating moves its signing key out of district_keys and keeps it', async () => {
  const admin = new DistrictReceiver({ databaseUrl: pgsql.url });
  await admin.pool.query('DROP DATABASE IF EXISTS district_v4');
  await admin.pool.query('CREATE DATABASE district_v4');
  const url = pgsql.url.replace(/\/district$/, '/district_v4');
  const old = new DistrictReceiver({ databaseUrl: url });
  try {
    // The schema as it was at version 4, with its key pair in district_keys.
    for (const m of DISTRICT_MIGRATIONS.filter((x) => x.version <= 4)) {
      await old.pool.query(m.sql);
      if (m.version > 1) await old.pool.query('INSERT INTO schema_version VALUES ($1)', [m.version]);
    }
    const k = newKeyPair();
    await old.pool.query('INSERT INTO district_keys (id, private_key, public_key) VALUES (1, $1, $2)', [
      k.privateKeyPem,
      k.publicKeyPem,
    ]);
    await old.migrate();
    assert.equal(await old.store.schemaVersion(), DISTRICT_MIGRATIONS.at(-1)?.version);
    assert.deepEqual(await old.store.districtKey(), k, 'the same key pair, so appliances and bundles keep trusting it');
    const cols = await old.pool.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'district_keys' ORDER BY column_name",
    );
    assert.deepEqual(
      cols.rows.map((r: { column_name: string }) => r.column_name),
      ['id', 'public_key'],
    );
  } finally {
    await old.close();
    await admin.pool.query('DROP DATABASE IF EXISTS district_v4 WITH (FORCE)');
    await admin.close();
  }
});

test('hostile env-days summaries: NUL, a bad day, not JSON and oversize are refused by record or by size, never a 500; wrong types are skipped and counted by the environment read', async () => {
  const receiver = new DistrictReceiver({
    databaseUrl: pgsql.url,
    limits: { maxBodyBytes: 1 << 20, maxLineBytes: 64 * 1024, maxRecords: 100 },
  });
  await receiver.migrate();
  const port = await receiver.listen(0);
  try {
    const key = await enrolKey(`http://127.0.0.1:${port}`, 'room-406');
    await receiver.pool.query("UPDATE appliances SET school = '实验小学' WHERE id = 'room-406'");
    const h = (first: number, last: number): BatchHeaders => ({
      appliance: 'room-406',
      batch: randomUUID(),
      stream: 'env-days',
      first,
      last,
    });
    const day = today();
    const metric = (over: unknown, withData: unknown = 40): Record<string, unknown> => ({
      lessonMinutes: 40,
      minutesWithData: withData,
      minutesOver: over,
      mean: 900,
      max: 1200,
    });
    const summary = (co2: Record<string, unknown>, madeAt: unknown = Date.now()): Record<string, unknown> => ({
      day,
      madeAt,
      lessons: 1,
      metrics: {
        co2_ppm: co2,
        pm25_ugm3: metric(0),
        illuminance_lx: metric(0),
        noise_dba: { ...metric(null), mean: 55, max: 70 },
      },
    });
    // Refused by record: NUL in a key and in a value, a day that is not one, a line that is not JSON.
    const bad = gzipSync(
      [
        JSON.stringify({ seq: 1, day, payload: summary(metric(3)) }),
        JSON.stringify({ seq: 2, day, payload: { ...summary(metric(3)), 'a\u0000': 1 } }),
        JSON.stringify({ seq: 3, day, payload: summary({ ...metric(3), mean: 'x\u0000' }) }),
        JSON.stringify({ seq: 4, day: '2026-02-30', payload: summary(metric(3)) }),
        '{"seq": 5, "day": ',
      ].join('\n'),
    );
    const refused = await post(port, batchRequestHeaders(h(1, 5), bad, key), bad);
    assert.equal(refused.status, 422, JSON.stringify(refused.json));
    assert.deepEqual(
      refused.json.refused?.map((r) => r.seq),
      [2, 3, 4, 5],
    );
    // An oversize summary: refused by size while it inflates (413), not stored, not a 500.
    const big = ndjson([{ seq: 1, day, payload: summary({ ...metric(3), note: 'x'.repeat(100 * 1024) }) }]);
    const tooBig = await post(port, batchRequestHeaders(h(1, 1), big, key), big);
    assert.deepEqual([tooBig.status, tooBig.json.error], [413, 'too_large']);
    // Wrong types and impossible figures are JSON the receiver stores as it stores every stream's;
    // the environment read leaves each out and counts it, and the answer still fits its schema.
    const odd = [
      summary(metric('many')),
      summary(metric(50, 40)),
      summary(metric(-1)),
      summary(metric([3])),
      summary({ ...metric(3), lessonMinutes: 1e308 }),
      summary(metric({ n: 3 })),
    ];
    // Each odd summary is the latest of its own day (madeAt far ahead), so each is the one read.
    const lines = [
      { seq: 1, day, payload: summary(metric(3)) },
      ...odd.map((p, i) => {
        const d = new Date(Date.now() - (i + 1) * DAY).toISOString().slice(0, 10);
        return { seq: i + 2, day: d, payload: { ...p, day: d } };
      }),
    ];
    const body = ndjson(lines);
    const ok = await post(port, batchRequestHeaders(h(1, lines.length), body, key), body);
    assert.deepEqual([ok.status, ok.json.committedSeq], [200, lines.length], JSON.stringify(ok.json));
    const from = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
    const rows = await new EnvironmentStore(receiver.pool).exposure(day, from, day, '实验小学');
    const answer = environmentAnswer(rows, { day, from, to: day });
    assert.equal(TypeCompiler.Compile(EnvironmentAnswer).Check(answer), true, JSON.stringify(answer));
    assert.equal(answer.skipped, odd.length);
    const room = answer.schools[0]?.classrooms.find((c) => c.applianceId === 'room-406');
    assert.deepEqual(room?.term.co2, { minutesWithData: 40, minutesOver: 3, share: 0.075 }, 'the one good day only');
    assert.equal(room?.term.days, 1);
  } finally {
    await receiver.close();
  }
});
