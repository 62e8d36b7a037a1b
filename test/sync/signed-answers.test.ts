import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startDistrict, type TestDistrict } from '../helpers/district.js';
import { CLI, ROOT, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { SyncAgent } from '../../edge/sync/agent.js';
import { enrolWithDistrict } from '../../edge/sync/enrol.js';
import { readEnrolment } from '../../edge/sync/keys.js';
import { createLogger } from '../../edge/log.js';
import { ClassEdgeError } from '../../edge/errors.js';
import { newKeyPair, privateKeyFrom } from '../../edge/security/signing.js';
import {
  ANSWER_SIGNATURE,
  KEY_ROTATIONS,
  certifyAnswerKey,
  signAnswer,
  signRotation,
} from '../../cloud-sync/answer-signing.js';
import { REQUEST_KINDS, requestSigningString } from '../../cloud-sync/protocol.js';

/**
 * The district's answers are signed, bound to their request, and the appliance acts only on answers
 * that verify with the district key it pinned at enrolment: a man in the middle (here a proxy that
 * rewrites answers between a real appliance store and a real PostgreSQL receiver) can no longer
 * empty the outbox.
 */

let pgsql: TestPostgres;
before(async () => {
  pgsql = await startPostgres();
});
after(async () => pgsql.stop());

type Json = Record<string, unknown>;
/** Rewrites the district's answer to `path` (undefined: passed on as it came); `request` is what was asked. */
type Rewrite = (path: string, status: number, body: Json, request: Buffer) => Json | undefined;

/** An HTTP proxy in front of the district that can rewrite its JSON answers: the man in the middle. */
class AnswerProxy {
  rewrite: Rewrite | undefined;
  /** Every answer the district gave, as it gave it, by path. */
  readonly answers: { path: string; status: number; body: Json }[] = [];
  #server: Server | undefined;

  constructor(readonly target: string) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && (k === 'content-type' || k.startsWith('x-classedge-'))) headers[k] = v;
        void fetch(new URL(req.url ?? '/', this.target), {
          method: req.method ?? 'POST',
          headers,
          body: Buffer.concat(chunks),
        })
          .then(async (r) => {
            const path = new URL(req.url ?? '/', this.target).pathname;
            const body = (await r.json()) as Json;
            this.answers.push({ path, status: r.status, body });
            const out = this.rewrite?.(path, r.status, structuredClone(body), Buffer.concat(chunks)) ?? body;
            res.writeHead(r.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(out));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      });
    });
    this.#server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

interface Bench {
  district: TestDistrict;
  proxy: AnswerProxy;
  proxyUrl: string;
  dir: { path: string; cleanup(): void };
  configFile: string;
  store: Store;
  agent: SyncAgent;
  /** One sync round, an hour after the last (past any retry backoff). */
  round(): Promise<void>;
  outbox(): number;
  districtRecords(): Promise<number>;
  close(): Promise<void>;
}

/** An enrolled appliance store with environment alerts queued for the district, behind the proxy. */
async function bench(id: string): Promise<Bench> {
  const district = await startDistrict(pgsql);
  const proxy = new AnswerProxy(district.url);
  const proxyUrl = await proxy.listen();
  const dir = tempDir('classedge-signed-');
  const yaml = `appliance: { id: ${id} }\nsync: { allowPlainHttp: true, intervalMs: 3600000, retryMaxMs: 1000 }\n`;
  const configFile = join(dir.path, 'config.yaml');
  writeFileSync(configFile, yaml);
  const config = parseConfig(yaml, configFile, { dataDir: dir.path });
  const store = Store.open(config);
  const start = Date.parse('2026-12-01T08:00:00Z');
  for (let i = 0; i < 3; i++) {
    const a = store.envAlerts.open({
      ruleId: 'co2-high',
      metric: 'co2_ppm',
      level: 'warn',
      window: '5m',
      direction: 'high',
      threshold: 1000,
      advice: undefined,
      startedAt: start + i * 600_000,
      peak: 1400,
      value: 1400,
    });
    store.envAlerts.close(a.id, a.startedAt + 300_000, 1400, 900);
  }
  await enrolWithDistrict(config, proxyUrl, await district.receiver.createToken(id));
  let clock = Date.now();
  // One test clock for both: each round is an hour later on the wall and past any retry backoff.
  const agent = new SyncAgent({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    now: () => clock,
    mono: () => clock,
  });
  await agent.pullConfigNow();
  return {
    district,
    proxy,
    proxyUrl,
    dir,
    configFile,
    store,
    agent,
    round: async () => {
      clock += 3_600_000;
      await agent.syncOnce();
    },
    outbox: () => store.outbox.after('env-alerts', 0, 1000).length,
    districtRecords: async () =>
      (
        await district.receiver.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM records WHERE appliance_id = $1 AND stream = 'env-alerts'",
          [id],
        )
      ).rows[0]?.n ?? 0,
    close: async () => {
      await agent.stop();
      store.close();
      await proxy.close();
      await district.stop();
      dir.cleanup();
    },
  };
}

test(
  'a forged, altered or replayed position answer is refused and nothing leaves the outbox; the signed answer confirms',
  { timeout: 120_000 },
  async () => {
    const b = await bench('room-601');
    try {
      const queued = b.outbox();
      assert.ok(queued >= 3, `alerts queued: ${queued}`);
      const refusals = (): number => b.agent.refusedAnswers().count;

      // The attack of the issue: an unsigned answer that puts every stream past everything.
      b.proxy.rewrite = (path) =>
        path === '/v1/state' ? { streams: { 'env-alerts': 1e15, lessons: 1e15 } } : undefined;
      await b.round();
      assert.equal(b.outbox(), queued, 'nothing deleted on an unsigned answer');
      assert.equal(b.store.outbox.confirmedSeq('env-alerts'), 0);
      assert.equal(refusals(), 1);
      assert.equal(b.agent.status().state, 'degraded');
      assert.match(
        b.agent.status().detail ?? '',
        /state answer: not signed by the district \(answerSignature missing\)/,
      );

      // The district's own signed answer with a position changed on the way.
      b.proxy.rewrite = (path, _s, body) =>
        path === '/v1/state' ? { ...body, streams: { 'env-alerts': 1e15 } } : undefined;
      await b.round();
      assert.equal(b.outbox(), queued, 'nothing deleted on an altered answer');
      assert.equal(refusals(), 2);
      assert.match(b.agent.status().detail ?? '', /state answer: answerSignature does not verify for this request/);

      // A man in the middle who signs, for this very request, with an answer key of his own making.
      const mitm = newKeyPair();
      b.proxy.rewrite = (path, status, _body, request) => {
        if (path !== '/v1/state') return undefined;
        const asked = JSON.parse(request.toString()) as { applianceId: string; nonce: string };
        const text = requestSigningString(REQUEST_KINDS.state, asked.applianceId, asked.nonce);
        const forged = {
          streams: { 'env-alerts': 1e15 },
          answerKey: certifyAnswerKey(mitm.publicKeyPem, privateKeyFrom(mitm.privateKeyPem)),
        };
        return signAnswer(asked.applianceId, text, status, forged, privateKeyFrom(mitm.privateKeyPem));
      };
      await b.round();
      assert.equal(b.outbox(), queued, 'nothing deleted on an answer signed by a key the district did not certify');
      assert.match(
        b.agent.status().detail ?? '',
        /state answer: answerKey is not certified by the pinned district key/,
      );
      assert.equal(refusals(), 3);

      // A genuine signed answer, but to an earlier request (another nonce): not an answer to this one.
      const earlier = b.proxy.answers.find((a) => a.path === '/v1/state');
      assert.ok(earlier && typeof earlier.body[ANSWER_SIGNATURE] === 'string', 'the district signs its answers');
      b.proxy.rewrite = (path) => (path === '/v1/state' ? earlier.body : undefined);
      await b.round();
      assert.equal(refusals(), 4, 'a replayed answer is refused');

      // The batch is committed at the district, but its answer is forged: the rows stay until a signed answer.
      b.proxy.rewrite = (path) => (path === '/v1/batches' ? { committedSeq: 1e15 } : undefined);
      await b.round();
      assert.equal(b.outbox(), queued, 'nothing deleted on a forged batch answer');
      assert.equal(refusals(), 5);
      assert.match(
        b.agent.streams().find((s) => s.stream === 'env-alerts')?.lastError ?? '',
        /env-alerts batch answer: not signed/,
        'the stream shows what did not verify',
      );
      assert.ok((await b.districtRecords()) > 0, 'the district did commit the batch');

      // Status shows the refusals, counted across processes.
      const status = await run(process.execPath, [
        CLI,
        'sync',
        'status',
        '--json',
        '-c',
        b.configFile,
        '--data-dir',
        b.dir.path,
      ]);
      assert.equal(status.code, 0, status.err);
      const s = JSON.parse(status.out) as { refusedAnswers: { count: number; last: { why: string } } };
      assert.equal(s.refusedAnswers.count, 5);
      assert.match(s.refusedAnswers.last.why, /batch answer: not signed/);

      // Nothing rewritten: the signed answers confirm, and the outbox drains.
      b.proxy.rewrite = undefined;
      await b.round();
      assert.equal(b.agent.status().state, 'running', b.agent.status().detail);
      assert.equal(b.outbox(), 0, 'confirmed rows leave the outbox');
      assert.equal(b.store.outbox.confirmedSeq('env-alerts'), queued);
      assert.equal(await b.districtRecords(), queued, 'every alert at the district once');
      assert.equal(refusals(), 5);
    } finally {
      await b.close();
    }
  },
);

test(
  'the enrolment answer must name this appliance; plain http only to loopback and only with sync.allowPlainHttp',
  { timeout: 60_000 },
  async () => {
    const district = await startDistrict(pgsql);
    const proxy = new AnswerProxy(district.url);
    const proxyUrl = await proxy.listen();
    const dir = tempDir('classedge-signed-');
    try {
      const plain = parseConfig('appliance: { id: room-602 }\n', 'test.yaml', { dataDir: dir.path });
      assert.equal(plain.sync.allowPlainHttp, false, 'HTTPS only by default');
      const refused = async (p: Promise<unknown>, re: RegExp): Promise<void> =>
        assert.rejects(p, (err: unknown) => err instanceof ClassEdgeError && re.test(err.message));
      await refused(
        enrolWithDistrict(plain, district.url, 'x'),
        /district URL: expected https:\/\/, got 'http:\/\/127\.0\.0\.1:\d+' \(.*sync\.allowPlainHttp\)/,
      );
      const flagged = parseConfig('appliance: { id: room-602 }\nsync: { allowPlainHttp: true }\n', 'test.yaml', {
        dataDir: dir.path,
      });
      await refused(
        enrolWithDistrict(flagged, 'http://192.0.2.10:8443', 'x'),
        /plain http is allowed \(sync\.allowPlainHttp\) only to a loopback host, got '192\.0\.2\.10'/,
      );
      await refused(enrolWithDistrict(flagged, 'ftp://127.0.0.1/', 'x'), /expected https:\/\/, got 'ftp:'/);

      proxy.rewrite = (path, _s, body) => (path === '/v1/enrol' ? { ...body, applianceId: 'room-999' } : undefined);
      await refused(
        enrolWithDistrict(flagged, proxyUrl, await district.receiver.createToken('room-602')),
        /enrolment answer applianceId: expected this appliance's id 'room-602', got 'room-999'; nothing is pinned/,
      );
      assert.equal(readEnrolment(dir.path), undefined, 'nothing pinned');
    } finally {
      await proxy.close();
      await district.stop();
      dir.cleanup();
    }
  },
);

test(
  'enrolled: another district URL or another district key is refused without --force; a forced re-enrolment is audited',
  { timeout: 120_000 },
  async () => {
    const district = await startDistrict(pgsql);
    const dir = tempDir('classedge-signed-');
    try {
      const configFile = join(dir.path, 'config.yaml');
      writeFileSync(configFile, 'appliance: { id: room-603 }\nsync: { allowPlainHttp: true }\n');
      const token = async (): Promise<string> => {
        const file = join(dir.path, 'token');
        writeFileSync(file, await district.receiver.createToken('room-603'));
        return file;
      };
      const enrol = async (url: string, ...more: string[]) =>
        run(process.execPath, [
          CLI,
          'enrol',
          '--district',
          url,
          '--token-file',
          await token(),
          '-c',
          configFile,
          '--data-dir',
          dir.path,
          '--json',
          ...more,
        ]);
      const first = await enrol(district.url);
      assert.equal(first.code, 0, first.err);
      const same = await enrol(`${district.url}/`);
      assert.equal(same.code, 0, `the same district written with a trailing slash is not another one: ${same.err}`);
      const pinned = readEnrolment(dir.path);

      // Another URL (the same receiver under another name stands in for another district).
      const other = `http://localhost:${district.port}`;
      const moved = await enrol(other);
      assert.notEqual(moved.code, 0);
      assert.match(
        moved.err,
        /already enrolled with http:\/\/127\.0\.0\.1:\d+\/: .*use --force to re-enrol \(audited\)/,
      );
      assert.deepEqual(readEnrolment(dir.path), pinned, 'the enrolment is kept');

      const prov = await run(process.execPath, [
        CLI,
        'provision',
        '--district',
        other,
        '--token-file',
        await token(),
        '--id',
        'room-603',
        '--no-tls',
        '-c',
        configFile,
        '--data-dir',
        dir.path,
        '--json',
      ]);
      assert.equal(prov.code, 1, prov.err);
      const steps = (JSON.parse(prov.out) as { steps: { step: string; status: string; detail: string }[] }).steps;
      const step = steps.find((x) => x.step === 'enrol');
      assert.equal(step?.status, 'failed');
      assert.match(step?.detail ?? '', /already enrolled with .*run again with --force/);
      assert.deepEqual(readEnrolment(dir.path), pinned, 'provision kept the enrolment too');

      const forced = await enrol(other, '--force');
      assert.equal(forced.code, 0, forced.err);
      assert.equal(readEnrolment(dir.path)?.districtUrl, other);

      // The same URL answering with a key other than the pinned one: a district moves to a new key by a signed
      // rotation the appliance follows in its answers, not by enrolling it again.
      const rotate = await run(process.execPath, [
        join(ROOT, 'bin', 'classedge-district.js'),
        'key',
        'rotate',
        '--database',
        pgsql.url,
        '--json',
      ]);
      assert.equal(rotate.code, 0, rotate.err);
      assert.equal(
        (JSON.parse(rotate.out) as { newPublicKey: string }).newPublicKey,
        (await district.receiver.store.districtKey()).publicKeyPem,
      );
      const rekeyed = await enrol(other);
      assert.notEqual(rekeyed.code, 0);
      assert.match(rekeyed.err, /answered with key [0-9a-f]{16}, not the pinned [0-9a-f]{16}; .*--force/);
      assert.equal(readEnrolment(dir.path)?.districtPublicKeyPem, pinned?.districtPublicKeyPem);

      const store = Store.open(parseConfig(readFileSync(configFile, 'utf8'), configFile, { dataDir: dir.path }));
      const rows = store.audit.list({ limit: 100 });
      store.close();
      const re = rows.filter((r) => r.action === 'sync.reenrol');
      assert.equal(re.length, 1, JSON.stringify(rows));
      assert.match(JSON.stringify(re[0]?.detail), /"fromDistrict":"http:\/\/127\.0\.0\.1:\d+\/".*"forced":true/);
      assert.ok(
        rows.some((r) => r.action === 'sync.enrol' && r.result === 'denied'),
        'the refused provision',
      );
    } finally {
      await district.stop();
      dir.cleanup();
    }
  },
);

test(
  'the district key rotates only by a message the pinned key signed: a forged rotation is refused, a real one pinned',
  { timeout: 120_000 },
  async () => {
    const b = await bench('room-604');
    try {
      const pinned = readEnrolment(b.dir.path)?.districtPublicKeyPem ?? '';
      const queued = b.outbox();
      const attacker = newKeyPair();
      const forged = signRotation(privateKeyFrom(attacker.privateKeyPem), pinned, attacker.publicKeyPem, new Date());
      b.proxy.rewrite = (path, _s, body) => (path === '/v1/state' ? { ...body, [KEY_ROTATIONS]: [forged] } : undefined);
      await b.round();
      assert.match(
        b.agent.status().detail ?? '',
        /keyRotation\/signature: does not verify with the pinned district key; the pinned key is kept/,
      );
      assert.equal(readEnrolment(b.dir.path)?.districtPublicKeyPem, pinned, 'the forged key is not pinned');
      assert.equal(b.outbox(), queued, 'nothing deleted');

      b.proxy.rewrite = undefined;
      const rotation = await b.district.receiver.rotateKey();
      const next = (await b.district.receiver.store.districtKey()).publicKeyPem;
      assert.equal(rotation.newPublicKey, next);
      await b.round();
      assert.equal(b.agent.status().state, 'running', b.agent.status().detail);
      assert.equal(readEnrolment(b.dir.path)?.districtPublicKeyPem, next, 'the new key is pinned');
      assert.equal(b.outbox(), 0, 'answers signed by the new key confirm');
      const audited = b.store.audit.list({ limit: 10, action: 'sync.key-rotation' });
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.result, 'ok');
    } finally {
      await b.close();
    }
  },
);
