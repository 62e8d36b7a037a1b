import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type pg from 'pg';
import type { Logger } from '../../../edge/log.js';
import { DUMMY_HASH, verifySecret } from '../../../edge/security/secrets.js';
import { HashGate } from '../../../edge/security/hash-gate.js';
import { FleetStore, type FleetRow } from '../fleet-store.js';
import { ConsoleStore, type ConsoleUser } from '../console-store.js';
import {
  FleetQuery,
  LoginRequest,
  type ApplianceAnswer,
  type ConsoleError,
  type FleetAnswer,
  type FleetItem,
  type Me,
} from './contract.js';

const COOKIE = 'classedge_console';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const checkLogin = TypeCompiler.Compile(LoginRequest);
const checkFleetQuery = TypeCompiler.Compile(FleetQuery);

export interface ConsoleOptions {
  /** The pool the console reads and writes (the primary; reads may later go to a replica). */
  pool: pg.Pool;
  log: Logger;
  /** An appliance is offline once its last heartbeat is this old. */
  offlineAfterMs: number;
  /** Sessions last this long. */
  sessionMs?: number;
  /** Attempts before an account is locked, and for how long. */
  maxFailedLogins?: number;
  lockMs?: number;
  /** Cookies only over HTTPS (the console behind TLS). */
  secureCookie?: boolean;
  /** Where the built pages are (ui-kiosk/dist). */
  pagesDir?: string;
  now?: () => number;
}

/** A refusal a route answers with: status, code and message. */
class ConsoleRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly lockedUntil?: number,
  ) {
    super(message);
  }
}

const forbidden = (): ConsoleRefusal =>
  new ConsoleRefusal(403, 'forbidden', 'this account may not see the fleet (district IT and school IT may)');

/** The bundle built by `npm run build` (vite): district.html and its assets. */
function defaultPagesDir(): string {
  // dist/cloud-sync/server/console -> the repository root's ui-kiosk/dist
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'ui-kiosk', 'dist');
}

function item(r: FleetRow): FleetItem {
  const s = r.status;
  const place = s?.place;
  // The box's name, else its grade and class; then its room.
  const classroom = [place?.name || [place?.grade, place?.class].filter(Boolean).join(''), place?.room]
    .filter((x) => x)
    .join(' · ');
  const streams = Object.keys({ ...r.streams, ...s?.streams })
    .sort()
    .map((stream) => ({
      stream,
      committedSeq: r.streams[stream] ?? 0,
      backlog: s?.streams[stream]?.backlog ?? 0,
      lagS: s?.streams[stream]?.lagS ?? 0,
      quarantined: s?.streams[stream]?.quarantined ?? 0,
    }));
  const components = s?.components ?? [];
  return {
    id: r.id,
    school: r.school,
    classroom,
    online: r.online,
    lastHeartbeat: r.lastHeartbeat?.getTime() ?? null,
    lastSeen: r.lastSeen?.getTime() ?? null,
    version: s?.version ?? null,
    uptimeS: s?.uptimeS ?? null,
    components,
    problems: components.filter((c) => c.state === 'degraded' || c.state === 'failed').length,
    diskFreeBytes: s?.disk.freeBytes ?? null,
    diskTotalBytes: s?.disk.totalBytes ?? null,
    flashBytesPerDay: s?.flash.writtenBytesPerDay ?? null,
    flashLifeUsedPercent: s?.flash.lifeUsedPercent ?? null,
    lagS: Math.max(0, ...streams.map((x) => x.lagS)),
    quarantined: streams.reduce((n, x) => n + x.quarantined, 0),
    clockSkewMs: r.clockSkewMs,
    configVersion: s?.configVersion ?? null,
    streams,
  };
}

/**
 * The district console's server: its accounts and sessions, the typed API routes the pages read,
 * and the pages themselves. Mounted by `classedge-district serve --console-port` on its own
 * listener, so that the receivers' internet-facing port serves appliances only.
 */
export class DistrictConsole {
  readonly #o: ConsoleOptions;
  readonly store: ConsoleStore;
  readonly #fleet: FleetStore;
  /** At most two people's-cost hashes at once, eight waiting: 128 MiB each. */
  readonly #hashes = new HashGate({ maxRunning: 2, maxQueued: 8 });

  constructor(o: ConsoleOptions) {
    this.#o = o;
    this.store = new ConsoleStore(o.pool);
    this.#fleet = new FleetStore(o.pool);
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    const api = express.Router();
    api.use(express.json({ limit: '4kb' }));
    const route =
      (fn: (req: Request, res: Response) => Promise<void>) =>
      (req: Request, res: Response, next: NextFunction): void =>
        void fn(req, res).catch(next);
    api.post(
      '/login',
      route((req, res) => this.#login(req, res)),
    );
    api.post(
      '/logout',
      route((req, res) => this.#logout(req, res)),
    );
    api.get(
      '/me',
      route(async (req, res) => {
        const u = await this.#user(req);
        const me: Me = { username: u.username, role: u.role, school: u.school };
        res.json(me);
      }),
    );
    api.get(
      '/fleet',
      route((req, res) => this.#fleetRoute(req, res)),
    );
    api.get(
      '/appliances/:id',
      route((req, res) => this.#applianceRoute(req, res)),
    );
    api.use((_req, _res, next) => next(new ConsoleRefusal(404, 'not_found', 'no such console route')));
    app.use('/console/api/v1', api);

    const pages = this.#o.pagesDir ?? defaultPagesDir();
    const page = join(pages, 'district.html');
    app.use('/assets', express.static(join(pages, 'assets'), { immutable: true, maxAge: '365d', index: false }));
    app.get(['/', '/console', '/console/'], (_req, res) => {
      if (!existsSync(page)) {
        res.status(503).type('text/plain').send('the console pages are not built: run npm run build');
        return;
      }
      res.set('cache-control', 'no-cache').sendFile(page);
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const answer = (status: number, e: ConsoleError): void => void res.status(status).json(e);
      if (err instanceof ConsoleRefusal)
        return answer(err.status, {
          error: err.code,
          message: err.message,
          ...(err.lockedUntil ? { lockedUntil: err.lockedUntil } : {}),
        });
      const parser = err as { type?: string; status?: number; message?: string };
      if (parser.type === 'entity.parse.failed' || parser.type === 'entity.too.large')
        return answer(parser.status ?? 400, { error: 'invalid_input', message: parser.message ?? 'invalid body' });
      this.#o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'console request failed');
      answer(500, { error: 'internal', message: 'internal error' });
    });
    return app;
  }

  async #login(req: Request, res: Response): Promise<void> {
    if (!req.is('application/json'))
      throw new ConsoleRefusal(415, 'invalid_input', 'expected a JSON body {username, password}');
    if (!checkLogin.Check(req.body)) {
      const e = checkLogin.Errors(req.body).First();
      throw new ConsoleRefusal(400, 'invalid_input', `${e?.path || '(body)'}: ${e?.message ?? 'invalid'}`);
    }
    const { username, password } = req.body;
    const slot = this.#hashes.enter();
    if (!slot) throw new ConsoleRefusal(429, 'busy', 'too many logins at once; try again in a moment');
    const release = await slot;
    try {
      const attempt = await this.store.takeAttempt(
        username,
        this.#o.maxFailedLogins ?? 5,
        this.#o.lockMs ?? 15 * 60_000,
      );
      if (attempt.kind === 'locked') {
        await this.store.audit(username, 'console.login', '', 'denied');
        throw new ConsoleRefusal(
          429,
          'locked',
          'too many wrong passwords: this account is locked for a while',
          attempt.lockedUntil.getTime(),
        );
      }
      // An unknown account costs the same hash as a wrong password: the answer does not tell them apart.
      const ok = await verifySecret(password, attempt.kind === 'check' ? attempt.secretHash : DUMMY_HASH);
      if (attempt.kind !== 'check' || !ok) {
        await this.store.audit(username, 'console.login', '', 'denied');
        throw new ConsoleRefusal(401, 'bad_login', 'wrong username or password');
      }
      await this.store.loginSucceeded(username);
      const token = randomBytes(24).toString('base64url');
      const ttl = this.#o.sessionMs ?? 12 * 3_600_000;
      await this.store.createSession(sha256(token), username, ttl);
      await this.store.audit(username, 'console.login', '', 'ok');
      res.cookie(COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: this.#o.secureCookie ?? false,
        path: '/console',
        maxAge: ttl,
      });
      const me: Me = attempt.user;
      res.json(me);
    } finally {
      release();
    }
  }

  async #logout(req: Request, res: Response): Promise<void> {
    const token = this.#token(req);
    if (token) await this.store.endSession(sha256(token));
    res.clearCookie(COOKIE, { path: '/console' });
    res.json({ ok: true });
  }

  #token(req: Request): string | undefined {
    const header = req.get('cookie') ?? '';
    for (const part of header.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE) return v.join('=');
    }
    return undefined;
  }

  async #user(req: Request): Promise<ConsoleUser> {
    const token = this.#token(req);
    const user = token && token.length <= 100 ? await this.store.session(sha256(token)) : undefined;
    if (!user) throw new ConsoleRefusal(401, 'not_logged_in', 'log in first');
    return user;
  }

  /** The schools this account may see the fleet of; undefined for every school. */
  #fleetScope(u: ConsoleUser): { school?: string } {
    if (u.role === 'district-it') return u.school ? { school: u.school } : {};
    if (u.role === 'school-it') return { school: u.school };
    throw forbidden();
  }

  async #fleetRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#fleetScope(u);
    const raw: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
    for (const k of ['offset', 'limit']) if (typeof raw[k] === 'string') raw[k] = Number(raw[k]);
    if (!checkFleetQuery.Check(raw)) {
      const e = checkFleetQuery.Errors(raw).First();
      throw new ConsoleRefusal(400, 'invalid_input', `query ${e?.path ?? ''}: ${e?.message ?? 'invalid'}`);
    }
    const q = Value.Default(FleetQuery, raw) as FleetQuery;
    const now = this.#now();
    const all = (await this.#fleet.fleet(new Date(now), this.#o.offlineAfterMs, scope)).map(item);
    const schools = [...new Set(all.map((a) => a.school))].sort();
    const search = q.search?.trim().toLowerCase();
    const matching = all.filter(
      (a) =>
        (!q.school || a.school === q.school) &&
        (q.status === undefined ||
          (q.status === 'online' && a.online) ||
          (q.status === 'offline' && !a.online) ||
          (q.status === 'problem' && (a.problems > 0 || a.quarantined > 0 || !a.online))) &&
        (!search || `${a.id} ${a.school} ${a.classroom} ${a.version ?? ''}`.toLowerCase().includes(search)),
    );
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 200;
    const answer: FleetAnswer = {
      now,
      offlineAfterS: Math.round(this.#o.offlineAfterMs / 1000),
      schools,
      counts: {
        total: all.length,
        online: all.filter((a) => a.online).length,
        offline: all.filter((a) => !a.online).length,
        problem: all.filter((a) => a.problems > 0 || a.quarantined > 0).length,
      },
      matching: matching.length,
      appliances: matching.slice(offset, offset + limit),
    };
    res.json(answer);
  }

  async #applianceRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#fleetScope(u);
    const id = String(req.params.id ?? '').slice(0, 200);
    const row = (await this.#fleet.fleet(new Date(this.#now()), this.#o.offlineAfterMs, { ...scope, id }))[0];
    // Outside the account's school it does not exist, as far as the account can tell.
    if (!row) throw new ConsoleRefusal(404, 'not_found', `no appliance '${id}' in this account's schools`);
    const history = (await this.#fleet.history(id, 200)).map((h) => ({
      at: h.receivedAt.getTime(),
      version: h.status.version,
      notRunning: h.status.components
        .filter((c) => c.state !== 'running' && c.state !== 'stopped')
        .map((c) => `${c.name}: ${c.state}${c.detail ? ` (${c.detail})` : ''}`.slice(0, 300)),
      diskFreeBytes: h.status.disk.freeBytes,
      lagS: Math.max(0, ...Object.values(h.status.streams).map((x) => x.lagS)),
    }));
    const answer: ApplianceAnswer = { appliance: item(row), history };
    res.json(answer);
  }
}
