import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import type pg from 'pg';
import { newKeyPair, privateKeyFrom, signText, verifyText } from '../../edge/security/signing.js';
import {
  REQUEST_KINDS,
  configSigningString,
  requestSigningString,
  signingString,
  verifyBatch,
  type AppliedAnswer,
  type BatchAnswer,
  type ConfigAnswer,
  type EnrolAnswer,
  type ErrorAnswer,
  type HealthAnswer,
  type SignedRequest,
  type StreamsAnswer,
} from '../protocol.js';
import {
  Refusal,
  batchHeaders,
  batchLines,
  configAppliedRequest,
  enrolRequest,
  restoredRequest,
  signedFields,
} from './requests.js';
import { DistrictStore, type PublishTarget } from './store.js';
import { ENROL_TOKEN_HOURS } from './defaults.js';
import { AnswerSigner, bindAnswer } from './answer-signer.js';
import { ensureAnswerKey, loadAnswerKey, rotateDistrictKey } from './key-rotation.js';
import type { KeyRotation } from '../answer-signing.js';
import { DistrictErasures } from './erasure.js';

const MAX_BODY = 16 * 1024 * 1024;
const MAX_INFLATED = 128 * 1024 * 1024;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** What express's body parsers throw for a body too large or not JSON: answered as the client's fault. */
const parserError = (err: unknown): { status: number; message: string } | undefined => {
  if (
    err === null ||
    typeof err !== 'object' ||
    !('type' in err) ||
    (err.type !== 'entity.too.large' && err.type !== 'entity.parse.failed')
  )
    return undefined;
  return {
    status: 'status' in err && typeof err.status === 'number' ? err.status : 400,
    message: 'message' in err && typeof err.message === 'string' ? err.message : '',
  };
};

/**
 * The district receiver. Stateless: the database is the only state, so any number of instances
 * can run behind a load balancer. A batch is verified (known appliance, Ed25519 signature over its
 * headers and body, not a replay, no gap) and committed idempotently before it is acknowledged.
 * Every request is checked against its schema in `../protocol.ts` before it is used; every SQL
 * statement is in `./store.ts`.
 */
export class DistrictReceiver {
  readonly store: DistrictStore;
  readonly #erasures: DistrictErasures;
  #server: Server | undefined;
  /** Signs the answers that change an appliance's state (positions, configuration), bound to their request. */
  readonly answers: AnswerSigner;

  constructor(o: { databaseUrl: string; poolSize?: number }) {
    this.store = new DistrictStore(o);
    this.answers = new AnswerSigner(() => loadAnswerKey(this.store));
    this.#erasures = new DistrictErasures(this.store.pool);
  }

  /** The database pool, for tests and tools that read the district's tables themselves. */
  get pool(): pg.Pool {
    return this.store.pool;
  }

  async migrate(): Promise<void> {
    await this.store.migrate(newKeyPair);
    await ensureAnswerKey(this.store);
  }

  /** A one-time enrolment token for one appliance id, valid for `hours`. */
  async createToken(applianceId: string, school = '', hours = ENROL_TOKEN_HOURS): Promise<string> {
    const token = randomBytes(18).toString('base64url');
    await this.store.addToken(sha256(token), applianceId, school, hours);
    return token;
  }

  /** The district's signing key (configuration and update bundles). */
  async signingKey(): Promise<KeyObject> {
    return privateKeyFrom((await this.store.districtKey()).privateKeyPem);
  }

  /** A new district key, announced to appliances by a message signed with the old one (see `./key-rotation.ts`). */
  async rotateKey(): Promise<KeyRotation> {
    const r = await rotateDistrictKey(this.store);
    this.answers.forget();
    return r;
  }

  /**
   * Publish desired configuration (partial settings) to appliances: each gets the next version,
   * signed with the district key. Returns the versions by appliance.
   */
  async publishConfig(target: PublishTarget, config: Record<string, unknown>): Promise<Record<string, number>> {
    const key = await this.signingKey();
    const ids = await this.store.configTargets(target);
    const out: Record<string, number> = {};
    for (const id of ids) {
      const version = ((await this.store.desiredVersion(id)) ?? 0) + 1;
      const signature = signText(configSigningString(id, version, config), key);
      await this.store.putDesiredConfig(id, version, config, signature);
      out[id] = version;
    }
    return out;
  }

  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.post('/v1/enrol', express.json({ limit: '16kb' }), (req, res, next) => void this.#enrol(req, res).catch(next));
    app.post(
      '/v1/batches',
      express.raw({ type: () => true, limit: MAX_BODY }),
      this.answers.handler(),
      (req, res, next) => void this.#batch(req, res).catch(next),
    );
    app.post(
      '/v1/state',
      express.json({ limit: '16kb' }),
      this.answers.handler(),
      (req, res, next) => void this.#state(req, res).catch(next),
    );
    app.post(
      '/v1/config',
      express.json({ limit: '16kb' }),
      this.answers.handler(),
      (req, res, next) => void this.#config(req, res).catch(next),
    );
    app.post(
      '/v1/config/applied',
      express.json({ limit: '16kb' }),
      this.answers.handler(),
      (req, res, next) => void this.#applied(req, res).catch(next),
    );
    app.post(
      '/v1/restored',
      express.json({ limit: '16kb' }),
      this.answers.handler(),
      (req, res, next) => void this.#restored(req, res).catch(next),
    );
    app.get('/v1/health', (_req, res) => {
      const answer = (status: number, a: HealthAnswer): void => void res.status(status).json(a);
      void this.store.ping().then(
        () => answer(200, { status: 'ok' }),
        () => answer(503, { status: 'database unreachable' }),
      );
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const answer = (status: number, a: ErrorAnswer): void => void res.status(status).json(a);
      if (err instanceof Refusal) return answer(err.status, { error: err.code, message: err.message, ...err.extra });
      const parser = parserError(err);
      if (parser) return answer(parser.status, { error: 'invalid_input', message: parser.message });
      answer(500, { error: 'internal', message: 'internal error' });
    });
    return app;
  }

  async #enrol(req: Request, res: Response): Promise<void> {
    const b = enrolRequest(req.body);
    await this.store.withTx(async (tx) => {
      const t = await tx.takeToken(sha256(b.token));
      if (!t) throw new Refusal(403, 'bad_token', 'unknown, used or expired enrolment token');
      if (t.appliance_id !== b.applianceId)
        throw new Refusal(403, 'bad_token', `this token is for appliance '${t.appliance_id}'`);
      await tx.useToken(sha256(b.token));
      await tx.enrolAppliance(b.applianceId, b.publicKey, t.school);
    });
    const answer: EnrolAnswer = {
      applianceId: b.applianceId,
      districtPublicKey: (await this.store.districtKey()).publicKeyPem,
    };
    res.status(201).json(answer);
  }

  /** A signed request from an appliance: `kind` keeps one kind of request from standing in for another. */
  async #signed(res: Response, b: SignedRequest, kind: string, extra = ''): Promise<string> {
    const text = requestSigningString(kind, b.applianceId, b.nonce, extra);
    bindAnswer(res, b.applianceId, text);
    if (!verifyText(text, b.signature, await this.#publicKey(b.applianceId)))
      throw new Refusal(401, 'bad_signature', `${kind} signature does not verify`);
    return b.applianceId;
  }

  async #config(req: Request, res: Response): Promise<void> {
    const id = await this.#signed(res, signedFields(req.body), REQUEST_KINDS.config);
    const d = await this.store.desiredConfig(id);
    const answer: ConfigAnswer = d ? { version: d.version, config: d.config, signature: d.signature } : { version: 0 };
    res.json(answer);
  }

  async #applied(req: Request, res: Response): Promise<void> {
    const b = configAppliedRequest(req.body);
    const id = await this.#signed(res, b, REQUEST_KINDS.applied, `\n${b.version}\n${b.result}`);
    await this.store.putAppliedConfig(id, b.version, b.result.slice(0, 500));
    const answer: AppliedAnswer = { ok: true };
    res.json(answer);
  }

  /** A replacement box restored from a backup: noted, and answered with where each stream stands. */
  async #restored(req: Request, res: Response): Promise<void> {
    const b = restoredRequest(req.body);
    const id = await this.#signed(res, b, REQUEST_KINDS.restored, `\n${b.backupCreatedAt}`);
    await this.store.markRestored(id, b.backupCreatedAt);
    const answer: StreamsAnswer = { streams: await this.store.streamPositions(id) };
    res.json(answer);
  }

  async #publicKey(applianceId: string): Promise<string> {
    const key = await this.store.publicKey(applianceId);
    if (key === undefined) throw new Refusal(401, 'unknown_appliance', `appliance '${applianceId}' is not enrolled`);
    return key;
  }

  async #state(req: Request, res: Response): Promise<void> {
    const id = await this.#signed(res, signedFields(req.body), REQUEST_KINDS.state);
    const answer: StreamsAnswer = { streams: await this.store.streamPositions(id) };
    res.json(answer);
  }

  async #batch(req: Request, res: Response): Promise<void> {
    const h = batchHeaders((name) => req.get(name));
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new Refusal(400, 'invalid_input', 'empty body');
    bindAnswer(res, h.appliance, signingString(h, body));
    if (!verifyBatch(h, body, h.signature, await this.#publicKey(h.appliance)))
      throw new Refusal(401, 'bad_signature', 'batch signature does not verify (tampered, or signed by another key)');
    const lines = await this.#erasures.receive(
      h.appliance,
      h.stream,
      batchLines(body, h, MAX_INFLATED),
      await this.#publicKey(h.appliance),
    );
    await this.store.ensurePartitions([...new Set(lines.map((l) => l.day))]);
    const next = await this.store.withTx(async (tx) => {
      const committed = await tx.lockStream(h.appliance, h.stream);
      if (await tx.batchSeen(h.appliance, h.batch))
        throw new Refusal(409, 'replayed', `batch ${h.batch} was already applied`, { committedSeq: committed });
      if (h.first > committed + 1)
        throw new Refusal(409, 'gap', `expected the stream to continue at ${committed + 1}, got ${h.first}`, {
          committedSeq: committed,
        });
      await tx.insertRecords(h.appliance, h.stream, lines);
      const next = Math.max(committed, h.last);
      await tx.commitBatch(h, next);
      return next;
    });
    const answer: BatchAnswer = { committedSeq: next };
    res.json(answer);
  }

  /** Listen on HTTP, or HTTPS when given the district's certificate and key (PEM files). */
  async listen(port: number, host = '127.0.0.1', tls?: { certFile: string; keyFile: string }): Promise<number> {
    const server = tls
      ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, this.app())
      : createServer(this.app());
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    this.#server?.closeAllConnections();
    await this.store.end();
  }
}
