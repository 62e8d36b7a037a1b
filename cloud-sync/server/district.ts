import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import express, { type Request, type Response, type NextFunction } from 'express';
import pg from 'pg';
import { newKeyPair, privateKeyFrom, signText, verifyText } from '../../edge/security/signing.js';
import { createLogger, type Logger } from '../../edge/log.js';
import {
  REQUEST_KINDS,
  configSigningString,
  requestSigningString,
  batchSigningString,
  verifyBatchHeaders,
  type RecordLine,
  type AppliedAnswer,
  type BatchAnswer,
  type ConfigAnswer,
  type EnrolAnswer,
  type ErrorAnswer,
  type HealthAnswer,
  type HeartbeatAnswer,
  HeartbeatStatus,
  type HeartbeatStatus as HeartbeatStatusT,
  heartbeatSigningExtra,
  type SignedRequest,
  type StreamsAnswer,
} from '../protocol.js';
import {
  Refusal,
  batchHeaders,
  batchLines,
  dayWindow,
  readBody,
  type BatchLimits,
  configAppliedRequest,
  enrolRequest,
  heartbeatRequest,
  restoredRequest,
  signedFields,
} from './requests.js';
import { DistrictStore, type PublishTarget } from './store.js';
import { DAYS_AHEAD, DAYS_BACK, ENROL_TOKEN_HOURS, LIMITS, STATUS_HISTORY_DAYS } from './defaults.js';
import { FleetStore } from './fleet-store.js';
import { DistrictConsole } from './console/console-app.js';
import { AnswerSigner, bindAnswer } from './answer-signer.js';
import { ensureAnswerKey, loadAnswerKey, rotateDistrictKey } from './key-rotation.js';
import type { KeyRotation } from '../answer-signing.js';
import { DistrictErasures } from './erasure.js';
import { StreamTurns } from './stream-turns.js';
import { RolloutStore } from './rollout-store.js';
import { serveBundle } from './bundles.js';

/** How long a stream's batch waits for the one before it to commit (an ordering hint only: StreamTurns). */
const TURN_WAIT_MS = 5000;

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

export interface ReceiverOptions {
  databaseUrl: string;
  poolSize?: number;
  /** Record days accepted: from `back` days before the receiver's clock to `ahead` days after (400 and 2). */
  days?: { back: number; ahead: number };
  /** What one batch may cost before it is refused (defaults.ts LIMITS). */
  limits?: Partial<BatchLimits>;
  /** Where failures are logged (default: a pino logger on standard output). */
  log?: Logger;
  /** The receiver's clock (tests). */
  now?: () => number;
  /** Days of heartbeat history kept per appliance (STATUS_HISTORY_DAYS). */
  statusHistoryDays?: number;
}

/**
 * The district receiver. Stateless: the database is the only state, so any number of instances
 * can run behind a load balancer. A batch is verified (known appliance, Ed25519 signature over its
 * headers and body, not a replay, no gap) and committed idempotently before it is acknowledged.
 * Every request is checked against its schema in `../protocol.ts` before it is used; every SQL
 * statement is in `./store.ts`.
 */
export class DistrictReceiver {
  readonly store: DistrictStore;
  readonly fleet: FleetStore;
  /** Fleet updates: bundles, rollouts and their outcomes (docs/fleet-updates.md). */
  readonly rollouts: RolloutStore;
  readonly #statusHistoryDays: number;
  readonly #erasures: DistrictErasures;
  /** Signs the answers that change an appliance's state (positions, configuration), bound to their request. */
  readonly answers: AnswerSigner;
  readonly log: Logger;
  readonly #days: { back: number; ahead: number };
  readonly #limits: BatchLimits;
  readonly #turns = new StreamTurns(TURN_WAIT_MS);
  readonly #now: () => number;
  #server: Server | undefined;
  #consoleServer: Server | undefined;
  #consoleReadPool: pg.Pool | undefined;
  #closing: Promise<void> | undefined;

  constructor(o: ReceiverOptions) {
    this.store = new DistrictStore(o);
    this.fleet = new FleetStore(this.store.pool);
    this.rollouts = new RolloutStore(this.store.pool);
    this.#statusHistoryDays = o.statusHistoryDays ?? STATUS_HISTORY_DAYS;
    this.answers = new AnswerSigner(() => loadAnswerKey(this.store));
    this.#erasures = new DistrictErasures(this.store);
    this.log = o.log ?? createLogger({ level: 'info' }).child({ component: 'district-receiver' });
    this.#days = o.days ?? { back: DAYS_BACK, ahead: DAYS_AHEAD };
    this.#limits = { ...LIMITS, ...o.limits };
    this.#now = o.now ?? Date.now;
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
    // No body parser: the headers (size, signature) are checked before a byte of the body is read.
    app.post('/v1/batches', this.answers.handler(), (req, res, next) => void this.#batch(req, res).catch(next));
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
    app.post(
      '/v1/heartbeat',
      express.json({ limit: '64kb' }),
      this.answers.handler(),
      (req, res, next) => void this.#heartbeat(req, res).catch(next),
    );
    // Not signed: the bytes are checked against the SHA-256 of the signed offer, and the bundle
    // carries the district's own signature (docs/fleet-updates.md).
    app.get(
      '/v1/bundles/:sha256',
      (req, res, next) => void serveBundle(req, res, this.rollouts, (id) => this.#publicKey(id), this.log).catch(next),
    );
    app.get('/v1/health', (_req, res) => {
      const answer = (status: number, a: HealthAnswer): void => void res.status(status).json(a);
      void this.store.ping().then(
        () => answer(200, { status: 'ok' }),
        () => answer(503, { status: 'database unreachable' }),
      );
    });
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
      // A body left unread (refused on its headers) is not drained: the connection closes after the answer.
      if (!req.complete) res.set('connection', 'close');
      const answer = (status: number, a: ErrorAnswer): void => void res.status(status).json(a);
      if (err instanceof Refusal) return answer(err.status, { error: err.code, message: err.message, ...err.extra });
      const parser = parserError(err);
      if (parser) return answer(parser.status, { error: 'invalid_input', message: parser.message });
      this.log.error(
        { err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), path: req.path },
        'request failed',
      );
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
      districtPublicKey: await this.store.districtPublicKey(),
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

  /** An appliance's status (cloud-sync/protocol.ts HeartbeatStatus): kept for the fleet view. */
  async #heartbeat(req: Request, res: Response): Promise<void> {
    const b = heartbeatRequest(req.body);
    const id = await this.#signed(res, b, REQUEST_KINDS.heartbeat, heartbeatSigningExtra(b.status));
    // Fields this district does not know (a newer appliance's) are dropped, not stored unread.
    const status = Value.Clean(HeartbeatStatus, structuredClone(b.status)) as HeartbeatStatusT;
    await this.fleet.putHeartbeat(id, status, new Date(this.#now()), this.#statusHistoryDays);
    if (status.update) {
      const r = await this.rollouts.report(id, status.update);
      if (r.rollout === 'halted' || r.rollout === 'done')
        this.log.info({ rollout: status.update.rolloutId, state: r.rollout }, 'rollout settled');
    }
    const offer = await this.rollouts.offerFor(id);
    const answer: HeartbeatAnswer = { ok: true, ...(offer ? { offer } : {}) };
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

  /**
   * Limits before work: size and signature are checked on the headers (the signature covers the
   * body's SHA-256) before the body is read; the body is then read up to its declared length, must
   * match the signed hash, and only then is it inflated, as a capped stream.
   */
  async #batch(req: Request, res: Response): Promise<void> {
    const h = batchHeaders((name) => req.get(name));
    // Every answer from here on (refusals too) is signed for this request: the appliance acts on
    // a 422's record list (quarantine) only when it verifies.
    bindAnswer(res, h.appliance, batchSigningString(h, h.bodySha256));
    const turn = this.#turns.take(`${h.appliance}\n${h.stream}`);
    try {
      await this.#applyBatch(req, res, h, turn);
    } finally {
      turn.done();
    }
  }

  async #applyBatch(
    req: Request,
    res: Response,
    h: ReturnType<typeof batchHeaders>,
    turn: { ready: Promise<void> },
  ): Promise<void> {
    const lim = this.#limits;
    const length = Number(req.get('content-length'));
    if (req.get('content-length') === undefined || !Number.isSafeInteger(length))
      throw new Refusal(411, 'length_required', 'a batch needs a Content-Length header');
    if (length > lim.maxBodyBytes)
      throw new Refusal(413, 'too_large', `body of ${length} bytes; at most ${lim.maxBodyBytes}`);
    if (h.last - h.first + 1 > lim.maxRecords)
      throw new Refusal(413, 'too_large', `${h.last - h.first + 1} records in one batch; at most ${lim.maxRecords}`);
    const publicKey = await this.#publicKey(h.appliance);
    if (!verifyBatchHeaders(h, h.bodySha256, h.signature, publicKey))
      throw new Refusal(401, 'bad_signature', 'batch signature does not verify (tampered, or signed by another key)');
    const body = await readBody(req, length, h.bodySha256);
    const window = dayWindow(this.#now(), this.#days.back, this.#days.ahead);
    const records = (await batchLines(body, h, lim, window)).filter((l): l is RecordLine => 'day' in l);
    // The key that verified the batch verifies its erasure records: one lookup a batch, not two.
    const lines = await this.#erasures.receive(h.appliance, h.stream, records, publicKey);
    await this.store.ensurePartitions([...new Set(lines.map((l) => l.day))]);
    // An appliance may send a stream's next batch while this instance commits the one before: the
    // checks above ran side by side with that commit; the database part waits its turn here.
    await turn.ready;
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

  /**
   * Serve the district console (its pages and API) on a listener of its own: the receivers' port
   * faces the appliances, the console's the district's staff (docs/district-console.md).
   */
  async listenConsole(
    port: number,
    host = '127.0.0.1',
    o: {
      offlineAfterMs: number;
      tls?: { certFile: string; keyFile: string };
      pagesDir?: string;
      /** A streaming replica the console reads the fleet, health and lessons from (its writes go to the primary). */
      readDatabaseUrl?: string;
    },
  ): Promise<{ port: number; console: DistrictConsole }> {
    if (o.readDatabaseUrl) {
      this.#consoleReadPool = new pg.Pool({
        connectionString: o.readDatabaseUrl,
        max: 5,
        application_name: 'classedge-console-read',
      });
      this.#consoleReadPool.on('error', () => undefined);
    }
    const c = new DistrictConsole({
      pool: this.store.pool,
      ...(this.#consoleReadPool ? { readPool: this.#consoleReadPool } : {}),
      log: this.log.child({ component: 'district-console' }),
      offlineAfterMs: o.offlineAfterMs,
      secureCookie: o.tls !== undefined,
      ...(o.pagesDir ? { pagesDir: o.pagesDir } : {}),
      now: this.#now,
    });
    const server = o.tls
      ? createTlsServer({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }, c.app())
      : createServer(c.app());
    this.#consoleServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return { port: (server.address() as AddressInfo).port, console: c };
  }

  /** Stop listening and end the pool; a second call waits for the first instead of failing on the ended pool. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const server of [this.#server, this.#consoleServer]) {
        if (!server) continue;
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await closed;
      }
      await this.#consoleReadPool?.end();
      await this.store.end();
    })();
    return this.#closing;
  }
}
