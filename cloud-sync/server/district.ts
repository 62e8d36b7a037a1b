import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import pg from 'pg';
import { configSigningString, verifyBatch } from '../protocol.js';
import { newKeyPair, privateKeyFrom, signText, verifyText } from '../../edge/security/signing.js';
import { Refusal, batchHeaders, batchLines, bodyObject, signedFields } from './requests.js';
import { DISTRICT_MIGRATIONS } from './schema.js';

const MAX_BODY = 16 * 1024 * 1024;
const MAX_INFLATED = 128 * 1024 * 1024;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The district receiver. Stateless: the database is the only state, so any number of instances
 * can run behind a load balancer. A batch is verified (known appliance, Ed25519 signature over its
 * headers and body, not a replay, no gap) and committed idempotently before it is acknowledged.
 */
export class DistrictReceiver {
  readonly pool: pg.Pool;
  #server: Server | undefined;

  constructor(o: { databaseUrl: string; poolSize?: number }) {
    this.pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.poolSize ?? 10 });
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock(7351)');
      const exists = await c.query("SELECT to_regclass('schema_version') AS t");
      const current = exists.rows[0].t ? Number((await c.query('SELECT max(version) AS v FROM schema_version')).rows[0].v) : 0;
      for (const m of DISTRICT_MIGRATIONS) {
        if (m.version <= current) continue;
        await c.query('BEGIN');
        await c.query(m.sql);
        if (m.version > 1) await c.query('INSERT INTO schema_version VALUES ($1)', [m.version]);
        await c.query('COMMIT');
      }
      const k = newKeyPair();
      await c.query('INSERT INTO district_keys (id, private_key, public_key) VALUES (1, $1, $2) ON CONFLICT DO NOTHING', [k.privateKeyPem, k.publicKeyPem]);
    } finally {
      await c.query('SELECT pg_advisory_unlock(7351)').catch(() => undefined);
      c.release();
    }
  }

  /** A one-time enrolment token for one appliance id, valid for `hours`. */
  async createToken(applianceId: string, school = '', hours = 72): Promise<string> {
    const token = randomBytes(18).toString('base64url');
    await this.pool.query("INSERT INTO enrol_tokens (token_hash, appliance_id, school, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))", [sha256(token), applianceId, school, hours]);
    return token;
  }

  async #districtKey(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
    const r = await this.pool.query('SELECT private_key, public_key FROM district_keys WHERE id = 1');
    return { privateKeyPem: r.rows[0].private_key as string, publicKeyPem: r.rows[0].public_key as string };
  }

  /** The district's signing key (configuration and update bundles). */
  async signingKey(): Promise<import('node:crypto').KeyObject> {
    return privateKeyFrom((await this.#districtKey()).privateKeyPem);
  }

  /**
   * Publish desired configuration (partial settings) to appliances: each gets the next version,
   * signed with the district key. Returns the versions by appliance.
   */
  async publishConfig(target: { appliance?: string; school?: string; all?: boolean }, config: Record<string, unknown>): Promise<Record<string, number>> {
    const key = privateKeyFrom((await this.#districtKey()).privateKeyPem);
    const ids = (
      await this.pool.query(
        // Appliances not enrolled yet but holding a token are included, so a box's first configuration waits for it.
        `SELECT id FROM appliances WHERE ($1::text IS NOT NULL AND id = $1) OR ($2::text IS NOT NULL AND school = $2) OR $3
         UNION SELECT appliance_id FROM enrol_tokens WHERE used_at IS NULL AND expires_at > now() AND (($1::text IS NOT NULL AND appliance_id = $1) OR ($2::text IS NOT NULL AND school = $2) OR $3)`,
        [target.appliance ?? null, target.school ?? null, target.all === true],
      )
    ).rows.map((r: { id: string }) => r.id);
    const out: Record<string, number> = {};
    for (const id of ids) {
      const prev = (await this.pool.query('SELECT version FROM desired_config WHERE appliance_id = $1', [id])).rows[0]?.version as number | undefined;
      const version = (prev ?? 0) + 1;
      const signature = signText(configSigningString(id, version, config), key);
      await this.pool.query(
        `INSERT INTO desired_config (appliance_id, version, config, signature) VALUES ($1, $2, $3, $4)
         ON CONFLICT (appliance_id) DO UPDATE SET version = excluded.version, config = excluded.config, signature = excluded.signature, published_at = now()`,
        [id, version, JSON.stringify(config), signature],
      );
      out[id] = version;
    }
    return out;
  }

  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.post('/v1/enrol', express.json({ limit: '16kb' }), (req, res, next) => void this.#enrol(req, res).catch(next));
    app.post('/v1/batches', express.raw({ type: () => true, limit: MAX_BODY }), (req, res, next) => void this.#batch(req, res).catch(next));
    app.post('/v1/state', express.json({ limit: '16kb' }), (req, res, next) => void this.#state(req, res).catch(next));
    app.post('/v1/config', express.json({ limit: '16kb' }), (req, res, next) => void this.#config(req, res).catch(next));
    app.post('/v1/config/applied', express.json({ limit: '16kb' }), (req, res, next) => void this.#applied(req, res).catch(next));
    app.post('/v1/restored', express.json({ limit: '16kb' }), (req, res, next) => void this.#restored(req, res).catch(next));
    app.get('/v1/health', (_req, res) => void this.pool.query('SELECT 1').then(() => res.json({ status: 'ok' }), () => res.status(503).json({ status: 'database unreachable' })));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      if (err instanceof Refusal) return void res.status(err.status).json({ error: err.code, message: err.message, ...err.extra });
      const e = err as { type?: string; status?: number; message?: string };
      if (e.type === 'entity.too.large' || e.type === 'entity.parse.failed') return void res.status(e.status ?? 400).json({ error: 'invalid_input', message: e.message });
      res.status(500).json({ error: 'internal', message: 'internal error' });
    });
    return app;
  }

  async #enrol(req: Request, res: Response): Promise<void> {
    const b = bodyObject(req.body) as { token?: unknown; applianceId?: unknown; publicKey?: unknown };
    if (typeof b.token !== 'string' || typeof b.applianceId !== 'string' || typeof b.publicKey !== 'string' || !b.publicKey.includes('BEGIN PUBLIC KEY')) {
      throw new Refusal(400, 'invalid_input', 'expected {token, applianceId, publicKey (PEM)}');
    }
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const t = await c.query('SELECT appliance_id, school FROM enrol_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE', [sha256(b.token)]);
      if (t.rowCount === 0) throw new Refusal(403, 'bad_token', 'unknown, used or expired enrolment token');
      if (t.rows[0].appliance_id !== b.applianceId) throw new Refusal(403, 'bad_token', `this token is for appliance '${t.rows[0].appliance_id}'`);
      await c.query('UPDATE enrol_tokens SET used_at = now() WHERE token_hash = $1', [sha256(b.token)]);
      // Re-enrolment (a replaced box) takes the new key; its stream positions stay.
      await c.query(
        'INSERT INTO appliances (id, public_key, school) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, enrolled_at = now()',
        [b.applianceId, b.publicKey, t.rows[0].school],
      );
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
    res.status(201).json({ applianceId: b.applianceId, districtPublicKey: (await this.#districtKey()).publicKeyPem });
  }

  /** A signed request from an appliance: `kind` keeps one kind of request from standing in for another. */
  async #signed(req: Request, kind: string, extra = ''): Promise<string> {
    const b = signedFields(req.body);
    if (!verifyText(`${kind}\n${b.applianceId}\n${b.nonce}${extra}`, b.signature, await this.#publicKey(b.applianceId))) throw new Refusal(401, 'bad_signature', `${kind} signature does not verify`);
    return b.applianceId;
  }

  async #config(req: Request, res: Response): Promise<void> {
    const id = await this.#signed(req, 'classedge-config-request-v1');
    const r = await this.pool.query('SELECT version, config, signature FROM desired_config WHERE appliance_id = $1', [id]);
    res.json(r.rowCount ? { version: r.rows[0].version, config: r.rows[0].config, signature: r.rows[0].signature } : { version: 0 });
  }

  async #applied(req: Request, res: Response): Promise<void> {
    const b = bodyObject(req.body) as { version?: unknown; result?: unknown };
    if (typeof b.version !== 'number' || typeof b.result !== 'string') throw new Refusal(400, 'invalid_input', 'expected {version, result}');
    const id = await this.#signed(req, 'classedge-config-applied-v1', `\n${b.version}\n${b.result}`);
    await this.pool.query(
      'INSERT INTO applied_config (appliance_id, version, result) VALUES ($1, $2, $3) ON CONFLICT (appliance_id) DO UPDATE SET version = excluded.version, result = excluded.result, reported_at = now()',
      [id, b.version, b.result.slice(0, 500)],
    );
    res.json({ ok: true });
  }

  /** A replacement box restored from a backup: noted, and answered with where each stream stands. */
  async #restored(req: Request, res: Response): Promise<void> {
    const b = bodyObject(req.body) as { backupCreatedAt?: unknown };
    if (typeof b.backupCreatedAt !== 'string' || b.backupCreatedAt.length > 40) throw new Refusal(400, 'invalid_input', 'expected {backupCreatedAt}');
    const id = await this.#signed(req, 'classedge-restored-v1', `\n${b.backupCreatedAt}`);
    await this.pool.query('UPDATE appliances SET restored_at = now(), restored_from = $2 WHERE id = $1', [id, b.backupCreatedAt]);
    const r = await this.pool.query('SELECT stream, committed_seq FROM stream_state WHERE appliance_id = $1', [id]);
    res.json({ streams: Object.fromEntries(r.rows.map((x: { stream: string; committed_seq: string }) => [x.stream, Number(x.committed_seq)])) });
  }

  async #publicKey(applianceId: string): Promise<string> {
    const r = await this.pool.query('SELECT public_key FROM appliances WHERE id = $1', [applianceId]);
    if (r.rowCount === 0) throw new Refusal(401, 'unknown_appliance', `appliance '${applianceId}' is not enrolled`);
    return r.rows[0].public_key as string;
  }

  async #state(req: Request, res: Response): Promise<void> {
    const b = signedFields(req.body);
    if (!verifyText(`classedge-state-v1\n${b.applianceId}\n${b.nonce}`, b.signature, await this.#publicKey(b.applianceId))) throw new Refusal(401, 'bad_signature', 'state request signature does not verify');
    const r = await this.pool.query('SELECT stream, committed_seq FROM stream_state WHERE appliance_id = $1', [b.applianceId]);
    res.json({ streams: Object.fromEntries(r.rows.map((x: { stream: string; committed_seq: string }) => [x.stream, Number(x.committed_seq)])) });
  }

  async #batch(req: Request, res: Response): Promise<void> {
    const h = batchHeaders((name) => req.get(name));
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new Refusal(400, 'invalid_input', 'empty body');
    if (!verifyBatch(h, body, h.signature, await this.#publicKey(h.appliance))) throw new Refusal(401, 'bad_signature', 'batch signature does not verify (tampered, or signed by another key)');
    const lines = batchLines(body, h, MAX_INFLATED);
    await this.#ensurePartitions([...new Set(lines.map((l) => l.day))]);
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('INSERT INTO stream_state (appliance_id, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING', [h.appliance, h.stream]);
      const st = await c.query('SELECT committed_seq FROM stream_state WHERE appliance_id = $1 AND stream = $2 FOR UPDATE', [h.appliance, h.stream]);
      const committed = Number(st.rows[0].committed_seq);
      const seen = await c.query('SELECT 1 FROM batches WHERE appliance_id = $1 AND batch_id = $2', [h.appliance, h.batch]);
      if (seen.rowCount) throw new Refusal(409, 'replayed', `batch ${h.batch} was already applied`, { committedSeq: committed });
      if (h.first > committed + 1) throw new Refusal(409, 'gap', `expected the stream to continue at ${committed + 1}, got ${h.first}`, { committedSeq: committed });
      // Multi-row insert through arrays: one statement per batch, whatever its size.
      await c.query(
        `INSERT INTO records (appliance_id, stream, seq, day, payload)
         SELECT $1, $2, s, d::date, p::jsonb FROM unnest($3::bigint[], $4::text[], $5::text[]) AS t(s, d, p)
         ON CONFLICT DO NOTHING`,
        [h.appliance, h.stream, lines.map((l) => l.seq), lines.map((l) => l.day), lines.map((l) => JSON.stringify(l.payload))],
      );
      const next = Math.max(committed, h.last);
      await c.query('UPDATE stream_state SET committed_seq = $3, updated_at = now() WHERE appliance_id = $1 AND stream = $2', [h.appliance, h.stream, next]);
      await c.query('INSERT INTO batches (appliance_id, batch_id, stream, first_seq, last_seq) VALUES ($1, $2, $3, $4, $5)', [h.appliance, h.batch, h.stream, h.first, h.last]);
      await c.query('UPDATE appliances SET last_seen = now() WHERE id = $1', [h.appliance]);
      await c.query('COMMIT');
      res.json({ committedSeq: next });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  readonly #partitions = new Set<string>();

  /**
   * One partition per day, made before the day's first rows arrive (a day already holding rows in
   * the default partition keeps them there). An advisory lock per day keeps concurrent receivers
   * from racing on the same CREATE.
   */
  async #ensurePartitions(days: string[]): Promise<void> {
    for (const day of days) {
      if (this.#partitions.has(day)) continue;
      // `day` passed the batch's YYYY-MM-DD check, so it is safe to put into the table name.
      const name = `records_${day.replace(/-/g, '')}`;
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
        const exists = await c.query('SELECT 1 FROM pg_class WHERE relname = $1', [name]);
        const inDefault = exists.rowCount ? null : await c.query('SELECT 1 FROM records_default WHERE day = $1 LIMIT 1', [day]);
        if (!exists.rowCount && !inDefault?.rowCount) {
          await c.query(`CREATE TABLE ${name} PARTITION OF records FOR VALUES FROM ('${day}') TO ('${day}'::date + 1)`);
        }
        await c.query('COMMIT');
        this.#partitions.add(day);
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    }
  }

  /** Listen on HTTP, or HTTPS when given the district's certificate and key (PEM files). */
  async listen(port: number, host = '127.0.0.1', tls?: { certFile: string; keyFile: string }): Promise<number> {
    const server = tls ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, this.app()) : createServer(this.app());
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
    await this.pool.end();
  }
}
