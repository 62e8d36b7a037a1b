import { createServer, type Server, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import { Ajv, type ValidateFunction } from 'ajv';
import { listen } from '../runtime/listen.js';
import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { LiveEvents } from '../messages.js';
import type { ApiContext } from './context.js';
import { RawResponse, type ApiRequest, type RouteDef } from './route.js';
import { buildOpenApi } from './openapi.js';
import { LiveHub } from './live.js';
import { systemRoutes } from './routes/system.js';
import { requireRole, sessionRoutes } from './routes/session.js';
import { auditRoutes, deviceRoutes, readingRoutes, userRoutes } from './routes/data.js';
import { environmentRoutes } from './routes/environment.js';
import { displayRoutes } from './routes/display.js';
import { roomRoutes } from './routes/room.js';
import { healthRoutes } from './routes/health.js';
import { syncRoutes } from './routes/sync.js';
import { lessonRoutes } from './routes/lessons.js';
import { mediaRoutes } from './routes/media.js';
import { observabilityRoutes } from './routes/observability.js';
import { alertEvent } from '../environment/service.js';
import { panelEvent } from '../display/display-service.js';
import { AuthError, ClassEdgeError, ValidationError, type ValidationIssue } from '../errors.js';
import type { Session } from '../store/repos/sessions.js';
import { loadTlsPair } from '../security/tls.js';
import { parseCookies } from './cookies.js';
import { upgradeListener } from './upgrade-guard.js';
import { SessionWatch } from './session-watch.js';
import type { Role } from '../store/repos/users.js';
import { plainHost } from '../security/listeners.js';
import { allowedHostNames, hostAllowed } from './host-check.js';

export const SESSION_COOKIE = 'classedge_session';

/** Every API route. Later capabilities add their route lists here. */
export const apiRoutes: readonly RouteDef[] = [
  ...systemRoutes,
  ...sessionRoutes,
  ...readingRoutes,
  ...environmentRoutes,
  ...displayRoutes,
  ...roomRoutes,
  ...healthRoutes,
  ...syncRoutes,
  ...lessonRoutes,
  ...mediaRoutes,
  ...observabilityRoutes,
  ...deviceRoutes,
  ...userRoutes,
  ...auditRoutes,
];

// A device behind the appliance that does not answer is a gateway timeout.
const STATUS_OF: Record<string, number> = { invalid_input: 400, not_found: 404, conflict: 409, device_error: 504 };

/** Static file mounts (the kiosk bundle) are added by later issues through this hook. */
export type MountStatic = (app: express.Express) => void;

/** HTTP + WebSocket server: the route table, sessions, CSRF, security headers and /api/v1/live. */
export class HttpServer extends BaseComponent {
  readonly name = 'http';
  readonly kind = 'http-server';
  readonly #ctx: ApiContext;
  readonly #bus: TypedEmitter<LiveEvents>;
  readonly #mounts: MountStatic[];
  #server: Server | undefined;
  /** The HTTPS listener when http.tls is on (the LAN's); #server is then plain HTTP on loopback. */
  #tlsServer: Server | undefined;
  #live: LiveHub | undefined;
  #sessions: SessionWatch | undefined;
  #unwatch: (() => void) | undefined;
  #unclaim: (() => void) | undefined;
  #requests = 0;
  #errors = 0;
  readonly #upgrade = { upgradeErrors: 0 };

  constructor(o: { ctx: ApiContext; bus: TypedEmitter<LiveEvents>; mounts?: MountStatic[] }) {
    super();
    this.#ctx = o.ctx;
    this.#bus = o.bus;
    this.#mounts = o.mounts ?? [];
  }

  /** The plain HTTP listener's port (loopback only once http.tls is on). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The HTTPS listener's port; 0 when http.tls is off. */
  get tlsPort(): number {
    return (this.#tlsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  protected override counters(): Record<string, number> {
    return {
      requests: this.#requests,
      errors: this.#errors,
      upgradeErrors: this.#upgrade.upgradeErrors,
      liveClients: this.#live?.clients ?? 0,
      liveSlowClosed: this.#live?.slowClosed ?? 0,
      wsClosedForSession: this.#sessions?.closedForSession ?? 0,
    };
  }

  #session(req: IncomingMessage): Session | undefined {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!token) return undefined;
    return this.#ctx.store.sessions.lookup(token, this.#sessionLimits());
  }

  /** Idle and absolute lifetimes by role, for HTTP requests and WebSocket re-checks alike. */
  #sessionLimits(): { idleMs: (role: Role) => number; maxMs: (role: Role) => number } {
    const a = this.#ctx.config.auth;
    return {
      idleMs: (role) => (role === 'admin' ? a.adminSessionIdleMinutes : a.teacherSessionIdleMinutes) * 60_000,
      maxMs: (role) => (role === 'admin' ? a.adminSessionMaxMinutes : a.teacherSessionMaxMinutes) * 60_000,
    };
  }

  #app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('query parser', 'simple');
    // Query strings are text, so they are coerced to the schema's types; JSON bodies are not.
    const ajvs = {
      body: new Ajv({ allErrors: true, useDefaults: true, strict: false }),
      query: new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: false }),
    };
    const hosts = allowedHostNames(this.#ctx.config);
    app.use((req, res, next) => {
      this.#requests++;
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
      );
      if (!hostAllowed(req.headers.host, hosts)) {
        res.status(421).json({
          error: 'wrong_host',
          message: `this appliance does not answer to Host '${String(req.headers.host).slice(0, 100)}' (add it to http.allowedHosts)`,
        });
        return;
      }
      next();
    });
    app.use(express.json({ limit: this.#ctx.config.http.maxBodyBytes }));
    const openapi = buildOpenApi(apiRoutes, this.#ctx.version);
    app.get('/api/v1/openapi.json', (_req, res) => {
      res.json(openapi);
    });
    for (const r of apiRoutes) this.#register(app, r, ajvs);
    for (const mount of this.#mounts) mount(app);
    app.use('/api', (req, res) => {
      res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.path}` });
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => this.#sendError(res, err));
    return app;
  }

  #register(app: express.Express, r: RouteDef, ajvs: { body: Ajv; query: Ajv }): void {
    const validateBody: ValidateFunction | undefined = r.body ? ajvs.body.compile(r.body) : undefined;
    const validateQuery: ValidateFunction | undefined = r.query ? ajvs.query.compile(r.query) : undefined;
    const issuesOf = (v: ValidateFunction, where: string): ValidationIssue[] =>
      (v.errors ?? []).map((e) => ({
        path: `${where}${e.instancePath}${e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : ''}${e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : ''}`,
        expected:
          e.keyword === 'additionalProperties' ? 'no such field' : (e.message ?? 'valid').replace(/^must (be )?/, ''),
      }));
    app[r.method](r.path, async (req: Request, res: Response) => {
      const session = r.access === 'public' ? this.#session(req) : requireRole(this.#session(req), r.access);
      if (session && r.access !== 'public' && r.method !== 'get' && req.get('x-csrf-token') !== session.csrf) {
        throw new AuthError(403, 'missing or wrong X-CSRF-Token header (get it from GET /api/v1/session)');
      }
      const body: unknown = r.body ? (req.body ?? {}) : undefined;
      if (validateBody && !validateBody(body))
        throw new ValidationError('request body', issuesOf(validateBody, '/body'));
      const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
      if (validateQuery && !validateQuery(query)) throw new ValidationError('query', issuesOf(validateQuery, '/query'));
      let status: number = r.status ?? 200;
      const result = await r.handler(
        {
          body,
          query: r.query ? query : undefined,
          params: req.params as Record<string, string>,
          session,
          ip: req.socket.remoteAddress ?? '',
          host: req.headers.host,
          secure: req.secure,
          setSessionCookie: (token: string | null) => {
            const secure = req.secure ? '; Secure' : '';
            if (token === null) {
              const current = parseCookies(req.headers.cookie)[SESSION_COOKIE];
              if (current) this.#ctx.store.sessions.end(current);
              res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
            } else {
              res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`);
            }
          },
          setHeader: (name: string, value: string) => res.setHeader(name, value),
          setStatus: (code: number) => {
            status = code;
          },
        } satisfies ApiRequest,
        this.#ctx,
      );
      res.setHeader('Cache-Control', 'no-store');
      if (result instanceof RawResponse) {
        // The name carries request values (a class id): only safe characters, or setHeader throws on a NUL and a quote
        // ends the value.
        if (result.filename)
          res.setHeader('Content-Disposition', `attachment; filename="${result.filename.replace(/[^\w.-]/g, '_')}"`);
        res.status(status).type(result.contentType).send(result.body);
        return;
      }
      res.status(status).json(result);
    });
  }

  #sendError(res: Response, err: unknown): void {
    if (err instanceof AuthError) {
      if (err.retryAfterS !== undefined) res.setHeader('Retry-After', String(err.retryAfterS));
      res.status(err.status).json({ error: err.code, message: err.message });
      return;
    }
    if (err instanceof ValidationError) {
      res.status(400).json({ error: err.code, message: err.message, issues: err.issues });
      return;
    }
    if (err instanceof ClassEdgeError && STATUS_OF[err.code] !== undefined) {
      res.status(STATUS_OF[err.code] as number).json({ error: err.code, message: err.message });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed' || e.type === 'entity.too.large') {
      res
        .status(e.status ?? 400)
        .json({ error: 'invalid_input', message: `request body: ${e.message ?? 'unreadable'}` });
      return;
    }
    this.#errors++;
    this.#ctx.log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal error; see the appliance log' });
  }

  async start(): Promise<void> {
    this.setState('starting');
    // With http.tls on, HTTPS serves the LAN on http.tls.port and plain HTTP binds loopback (the
    // panel's own browser, local probes) unless http.plaintextLan. Both serve the same app and
    // upgrades; over TLS req.secure is true and the session cookie gets Secure. A bad pair fails
    // here, naming the file.
    const cfg = this.#ctx.config.http;
    const pair = cfg.tls.enabled ? loadTlsPair(cfg.tls) : undefined;
    const app = this.#app();
    const server: Server = createServer(app);
    const tlsServer: Server | undefined = pair ? createHttpsServer({ cert: pair.cert, key: pair.key }, app) : undefined;
    const { sessionCheckSeconds, maxBufferedBytes } = cfg.webSocket;
    const sessions = new SessionWatch({
      state: (id) => this.#ctx.store.sessions.state(id, this.#sessionLimits()),
      everyMs: sessionCheckSeconds * 1000,
    });
    this.#unwatch = this.#ctx.store.sessions.onEnded(() => sessions.recheck());
    this.#sessions = sessions;
    const live = new LiveHub({
      bus: this.#bus,
      log: this.#ctx.log,
      authenticate: (req) => this.#session(req),
      sessions,
      maxBufferedBytes,
      snapshot: () => ({
        components: this.#ctx.components(),
        latest: this.#ctx.readings.latest(),
        alerts: this.#ctx.environment.view().alerts.map((a) => alertEvent(a, 'raised')),
        healthAlerts: this.#ctx.health.openAlerts(),
        displays: this.#ctx.displays().flatMap((d) => (d.panel ? [panelEvent(d.name, d.panel)] : [])),
        lesson: { lesson: this.#ctx.analysis.currentEvent() },
        capture: this.#ctx.capture.state(),
      }),
    });
    const onUpgrade = upgradeListener(
      (path) => {
        if (path === '/api/v1/live') return (req, socket, head) => live.handleUpgrade(req, socket, head);
        const media = path === '/api/v1/media' ? this.#ctx.media?.() : undefined;
        return media
          ? (req, socket, head, target) =>
              media.handleUpgrade(req, socket, head, target, { authenticate: (r) => this.#session(r), sessions })
          : undefined;
      },
      this.#ctx.log,
      this.#upgrade,
      (host) => hostAllowed(host, allowedHostNames(this.#ctx.config)),
    );
    server.on('upgrade', onUpgrade);
    tlsServer?.on('upgrade', onUpgrade);
    // A timetable lesson that starts while a teacher is logged in on the panel is that teacher's
    // (their trends): without this only lessons they started, ended or logged in during were theirs.
    this.#unclaim = this.#bus.on('lesson.state', (e) => {
      const teachers = live.panelTeachers();
      if (e.lesson && e.lesson.endedAt === null && teachers.length === 1)
        this.#ctx.store.lessons.claim(e.lesson.id, teachers[0]!);
    });
    this.#server = server;
    this.#tlsServer = tlsServer;
    this.#live = live;
    if (tlsServer) await listen(tlsServer, cfg.tls.port, cfg.host);
    await listen(server, cfg.port, plainHost(cfg));
    this.setState('running');
    const plain = { host: plainHost(cfg), port: this.port };
    if (pair) {
      this.#ctx.log.info(
        {
          listener: 'https',
          host: cfg.host,
          port: this.tlsPort,
          plain,
          tls: {
            certFile: pair.info.file,
            validTo: pair.info.validTo.toISOString(),
            fingerprint256: pair.info.fingerprint256,
          },
        },
        'HTTPS server listening (plain HTTP on loopback only unless http.plaintextLan)',
      );
    } else {
      this.#ctx.log.info({ listener: 'http', ...plain, tls: false }, 'HTTP server listening');
    }
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    this.#live?.close();
    this.#unclaim?.();
    this.#unwatch?.();
    this.#sessions?.close();
    const servers = [this.#server, this.#tlsServer].filter((x): x is Server => x !== undefined);
    this.#server = undefined;
    this.#tlsServer = undefined;
    await Promise.all(
      servers.map(async (server) => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
    this.setState('stopped');
  }
}
