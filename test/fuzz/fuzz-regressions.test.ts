import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ConfigError, ProtocolError, ValidationError } from '../../edge/errors.js';
import { MAX_LISTED_ISSUES as MAX_CONFIG_ISSUES, parseConfig } from '../../edge/config/load.js';
import { MAX_LISTED_ISSUES, parseRoster } from '../../edge/health/roster.js';
import { JpegSplitter } from '../../edge/analysis/jpeg-stream.js';
import { decodeCard, decodeStatus } from '../../edge/broker/ingest.js';
import { decodeReply } from '../../firmware-bridge/camera/vc0706.js';
import { CardLines, MAX_CARD_LINE } from '../../firmware-bridge/thermometer/card-lines.js';
import { Refusal, batchLines, bodyObject, dayWindow, signedFields } from '../../cloud-sync/server/requests.js';
import { committedSeq, configAnswer, streamPositions } from '../../edge/sync/answers.js';
import { postJsonish } from '../../edge/sync/http-client.js';
import { ADMIN, seedAccounts, startTestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { thrown } from '../helpers/env.js';

/** Counterexamples the parser properties (test/fuzz/parsers.ts) found, kept as plain tests. */

test(
  'a Cookie header with a broken %-escape is another cookie, not a 500 (real appliance)',
  { timeout: 60_000 },
  async () => {
    const t = await startTestAppliance();
    try {
      await seedAccounts(t);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const anon = await fetch(`${t.httpUrl}/api/v1/readings`, { headers: { cookie: 'a=%' } });
      assert.equal(anon.status, 401, await anon.text());
      const withSession = await fetch(`${t.httpUrl}/api/v1/readings`, {
        headers: { cookie: `a=%; ${admin.cookie}; b=%E0%A4%A` },
      });
      assert.equal(withSession.status, 200, await withSession.text());
      const health = await fetch(`${t.httpUrl}/api/v1/health`);
      await health.text();
      assert.ok(health.status === 200 || health.status === 503);
    } finally {
      await t.stop();
    }
  },
);

test(
  'a report download whose class id carries a NUL or a quote is answered, not a 500 from setHeader (real appliance)',
  { timeout: 60_000 },
  async () => {
    const t = await startTestAppliance();
    try {
      await seedAccounts(t);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      for (const classId of ['%00', '%22%3B%20x%3D', '%E4%B8%89']) {
        const r = await admin.get(`/api/v1/health/report.csv?classId=${classId}`);
        assert.equal(r.status, 200, `${classId}: ${JSON.stringify(r.body)}`);
        assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="[\w.-]+"$/);
      }
    } finally {
      await t.stop();
    }
  },
);

test('a roster of 200 000 bad lines is refused with a bounded list of problems, the rest counted', () => {
  const csv = Buffer.from(`class_id,class_name,student_no,name\n${'x\n'.repeat(200_000)}`);
  const err = thrown(() => parseRoster(csv));
  assert.ok(err instanceof ValidationError);
  assert.ok(err.issues.length <= MAX_LISTED_ISSUES + 1, `${err.issues.length} issues`);
  assert.match(err.issues.at(-1)?.expected ?? '', /\d+ more not listed/);
  assert.ok(err.message.length < 64 * 1024, `message of ${err.message.length} characters`);
  assert.match(err.message, /line 2, class_name/);
});

test('a VC0706 refusal whose data has not arrived consumes only the bytes that are there', () => {
  const buf = Buffer.from('7600110103', 'hex');
  const r = decodeReply(buf, 0x11);
  assert.ok(r.consumed <= buf.length, `consumed ${r.consumed} of ${buf.length}`);
  assert.match(r.error ?? '', /byte 3: status 01/);
});

test('the JPEG splitter fed 1 MB without an end marker holds at most its limit', () => {
  const s = new JpegSplitter(4096);
  const noise = randomBytes(1024 * 1024);
  noise[0] = 0xff;
  noise[1] = 0xd8;
  noise[2] = 0xff;
  for (let i = 0; i < noise.length; i += 1000) {
    s.push(noise.subarray(i, i + 1000));
    assert.ok(s.buffered <= 4096, `holds ${s.buffered} bytes`);
  }
});

test('the card reader fed 1 MB without a line end holds at most one line', () => {
  const lines = new CardLines();
  const noise = Buffer.alloc(1024 * 1024, 0x41);
  for (let i = 0; i < noise.length; i += 777) {
    assert.deepEqual(lines.push(noise.subarray(i, i + 777)).cards, []);
    assert.ok(lines.pending <= MAX_CARD_LINE, `holds ${lines.pending} characters`);
  }
  assert.deepEqual(lines.push(Buffer.from('\r\n04a1B2c3\r\n')).cards, ['04A1B2C3']);
});

test('MQTT card and status payloads that are JSON but not objects are refused, not thrown on', () => {
  for (const p of ['null', '[]', '"04A1"', '{"card": null}', '{"card": "04A1", "card": 5}']) {
    const r = decodeCard(Buffer.from(p));
    assert.equal(r.ok, false, p);
  }
  assert.deepEqual(decodeCard(Buffer.from('{"card":"04a1b2"}')), { ok: true, value: '04A1B2' });
  const big = decodeStatus(Buffer.alloc(1024 * 1024, 0x61));
  assert.equal(big.ok, false);
  assert.ok(!big.ok && big.reason.length < 200, 'a 1 MB status is quoted whole');
});

test('the district refuses a batch line that is null or not an object with a 400, not a TypeError', async () => {
  const h = {
    appliance: 'room-301',
    batch: '00000000-0000-0000-0000-000000000000',
    stream: 'readings',
    first: 1,
    last: 2,
  };
  const limits = { maxBodyBytes: 1 << 20, maxInflatedBytes: 1 << 20, maxLineBytes: 1 << 16, maxRecords: 1000 };
  for (const second of ['null', '5', '[]', '{"seq": "2", "day": "2026-12-03"}']) {
    const body = gzipSync(`{"seq":1,"day":"2026-12-03","payload":{}}\n${second}`);
    const err: unknown = await batchLines(body, h, limits, dayWindow(Date.UTC(2026, 11, 3), 400, 2)).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof Refusal, `${second}: ${String(err)}`);
    assert.equal(err.status, 400);
    assert.match(err.message, /line 2/);
  }
  for (const b of [
    undefined,
    null,
    [],
    'x',
    { applianceId: 5, nonce: 'n', signature: 's' },
    { applianceId: { $ne: 1 }, nonce: 'n', signature: 's' },
  ]) {
    const err = thrown(() => signedFields(b));
    assert.ok(err instanceof Refusal && err.status === 400, JSON.stringify(b));
  }
  assert.ok(thrown(() => bodyObject(undefined)) instanceof Refusal);
});

test('a district position that is not a whole number is a ProtocolError, never confirmed', () => {
  // '999999' as a string compares above every integer in SQLite: it would have deleted the whole outbox.
  for (const v of ['999999', -1, 1.5, 1e300, null, true]) {
    assert.ok(
      thrown(() => streamPositions({ streams: { readings: v } }, ['readings'])) instanceof ProtocolError,
      JSON.stringify(v),
    );
    assert.ok(thrown(() => committedSeq({ committedSeq: v })) instanceof ProtocolError, JSON.stringify(v));
  }
  assert.deepEqual([...streamPositions({ streams: { readings: 7, other: 'x' } }, ['readings'])], [['readings', 7]]);
  assert.ok(thrown(() => configAnswer({ version: 'abc' })) instanceof ProtocolError);
  assert.ok(thrown(() => configAnswer({ version: 3, config: [] })) instanceof ProtocolError);
});

test(
  'an answer from the district over sync.maxAnswerBytes is refused, not buffered; one that is not an object reads as {}',
  { timeout: 30_000 },
  async () => {
    const maxAnswerBytes = parseConfig('sync: { maxAnswerBytes: 65536 }\n', 'limit.yaml', {
      dataDir: '/tmp/classedge-fuzz',
    }).sync.maxAnswerBytes;
    assert.equal(
      parseConfig('', 'defaults.yaml', { dataDir: '/tmp/classedge-fuzz' }).sync.maxAnswerBytes,
      1024 * 1024,
      'the documented default',
    );
    let body: Buffer = Buffer.alloc(0);
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/state`);
      const o = { timeoutMs: 10_000, maxAnswerBytes, allowPlainHttp: true };
      body = Buffer.alloc(maxAnswerBytes + 1, 0x20);
      await assert.rejects(
        postJsonish(url, '{}', {}, o),
        (err: unknown) => err instanceof ProtocolError && /sync\.maxAnswerBytes/.test(err.message),
      );
      body = Buffer.from(`{"streams": {"readings": 7}}${' '.repeat(maxAnswerBytes - 40)}`);
      assert.deepEqual(
        (await postJsonish(url, '{}', {}, o)).json,
        { streams: { readings: 7 } },
        'an answer within the limit is read',
      );
      for (const text of ['null', '[1]', '42', 'not json']) {
        body = Buffer.from(text);
        assert.deepEqual((await postJsonish(url, '{}', {}, o)).json, {}, text);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  },
);

test('a configuration of 300 repeated keys or a megabyte-long value is refused with a bounded ConfigError', () => {
  const repeated = 'mqtt: { port: 1883 }\nhttp: { port: 8080 }\nlog: { level: info }\n'.repeat(300);
  const err = thrown(() => parseConfig(repeated, 'repeated.yaml', { dataDir: '/tmp/classedge-fuzz' }));
  assert.ok(err instanceof ConfigError);
  assert.ok(err.issues.length <= MAX_CONFIG_ISSUES + 1, `${err.issues.length} issues`);
  assert.match(err.message, /Map keys must be unique/);
  assert.match(err.message, /more not listed/);
  const long = thrown(() =>
    parseConfig(`appliance: { id: ${'x'.repeat(1024 * 1024)} }\n`, 'long.yaml', { dataDir: '/tmp/classedge-fuzz' }),
  );
  assert.ok(long instanceof ConfigError);
  assert.match(long.message, /\/appliance\/id/);
  assert.ok(long.message.length < 4096, `message of ${long.message.length} characters`);
});

test('a YAML alias without its anchor or an alias bomb is a ConfigError, not a ReferenceError', () => {
  const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
  for (const text of ['*"', 'mqtt: *nowhere\n', bomb]) {
    const err = thrown(() => parseConfig(text, 'alias.yaml', { dataDir: '/tmp/classedge-fuzz' }));
    assert.ok(err instanceof ConfigError, `${JSON.stringify(text.slice(0, 20))}: ${String(err)}`);
    assert.match(err.message, /valid YAML/);
  }
});
