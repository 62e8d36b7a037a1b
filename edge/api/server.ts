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
import { healthRoutes } from './routes/health.js';
import { syncRoutes } from './routes/sync.js';
import { lessonRoutes } from './routes/lessons.js';
import { alertEvent } from '../environment/service.js';
import { panelEvent } from '../display/display-service.js';
import { AuthError, ClassEdgeError, ValidationError, type ValidationIssue } from '../errors.js';
import type { Session } from '../store/repos/sessions.js';
import { loadTlsPair } from '../security/tls.js';

export const SESSION_COOKIE = 'classedge_session';

/** Every API route. Later capabilities add their route lists here. */
export const apiRoutes: readonly RouteDef[] = [
  ...systemRoutes,
  ...sessionRoutes,
  ...readingRoutes,
  ...environmentRoutes,
  ...displayRoutes,
  ...healthRoutes,
  ...syncRoutes,
  ...lessonRoutes,
  ...deviceRoutes,
  ...userRoutes,
  ...auditRoutes,
];

// A device behind the appliance that does not answer is a gateway timeout.
const STATUS_OF: Record<string, number> = { invalid_input: 400, not_found: 404, conflict: 409, device_error: 504 };

/** A cookie value with a broken %-escape (`a=%`) is some other site's cookie: kept as sent, not thrown on. */
function decodeCookieValue(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeCookieValue(part.slice(i + 1).trim());
  }
  return out;
}

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
  #live: LiveHub | undefined;
  #requests = 0;
  #errors = 0;

  constructor(o: { ctx: ApiContext; bus: TypedEmitter<LiveEvents>; mounts?: MountStatic[] }) {
    super();
    this.#ctx = o.ctx;
    this.#bus = o.bus;
    this.#mounts = o.mounts ?? [];
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  protected override counters(): Record<string, number> {
    return { requests: this.#requests, errors: this.#errors, liveClients: this.#live?.clients ?? 0 };
  }

  #session(req: IncomingMessage): Session | undefined {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!token) return undefined;
    const { adminSessionIdleMinutes, teacherSessionIdleMinutes } = this.#ctx.config.auth;
    return this.#ctx.store.sessions.lookup(token, (role) => (role === 'admin' ? adminSessionIdleMinutes : teacherSessionIdleMinutes) * 60_000);
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
    app.use((_req, res, next) => {
      this.#requests++;
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
      );
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
        expected: e.keyword === 'additionalProperties' ? 'no such field' : (e.message ?? 'valid').replace(/^must (be )?/, ''),
      }));
    app[r.method](r.path, async (req: Request, res: Response) => {
      const session = r.access === 'public' ? this.#session(req) : requireRole(this.#session(req), r.access);
      if (session && r.access !== 'public' && r.method !== 'get' && req.get('x-csrf-token') !== session.csrf) {
        throw new AuthError(403, 'missing or wrong X-CSRF-Token header (get it from GET /api/v1/session)');
      }
      const body: unknown = r.body ? (req.body ?? {}) : undefined;
      if (validateBody && !validateBody(body)) throw new ValidationError('request body', issuesOf(validateBody, '/body'));
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
        } satisfies ApiRequest as never,
        this.#ctx,
      );
      res.setHeader('Cache-Control', 'no-store');
      if (result instanceof RawResponse) {
        // The name carries request values (a class id): only safe characters, or setHeader throws on a NUL and a quote ends the value.
        if (result.filename) res.setHeader('Content-Disposition', `attachment; filename="${result.filename.replace(/[^\w.-]/g, '_')}"`);
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
      res.status(e.status ?? 400).json({ error: 'invalid_input', message: `request body: ${e.message ?? 'unreadable'}` });
      return;
    }
    this.#errors++;
    this.#ctx.log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal error; see the appliance log' });
  }

  async start(): Promise<void> {
    this.setState('starting');
    // HTTPS when http.tls is on: the same app and upgrade handling, only the socket is TLS (so
    // req.secure is true and the session cookie gets Secure). A bad pair fails here, naming the file.
    const tls = this.#ctx.config.http.tls;
    const pair = tls.enabled ? loadTlsPair(tls) : undefined;
    const server: Server = pair ? createHttpsServer({ cert: pair.cert, key: pair.key }, this.#app()) : createServer(this.#app());
    const live = new LiveHub({
      bus: this.#bus,
      log: this.#ctx.log,
      authenticate: (req) => this.#session(req),
      snapshot: () => ({
        components: this.#ctx.components(),
        latest: this.#ctx.store.readings.latest(),
        alerts: this.#ctx.environment.view().alerts.map((a) => alertEvent(a, 'raised')),
        displays: this.#ctx.displays().flatMap((d) => (d.panel ? [panelEvent(d.name, d.panel)] : [])),
        lesson: { lesson: this.#ctx.analysis.currentEvent() },
        capture: this.#ctx.capture.state(),
      }),
    });
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const media = path === '/api/v1/media' ? this.#ctx.media?.() : undefined;
      if (path === '/api/v1/live') live.handleUpgrade(req, socket, head);
      else if (media) media.handleUpgrade(req, socket, head, (r) => this.#session(r));
      else socket.destroy();
    });
    this.#server = server;
    this.#live = live;
    const { port, host } = this.#ctx.config.http;
    await listen(server, port, host);
    this.setState('running');
    this.#ctx.log.info({ port: this.port, tls: pair ? { certFile: pair.info.file, validTo: pair.info.validTo.toISOString(), fingerprint256: pair.info.fingerprint256 } : false }, pair ? 'HTTPS server listening' : 'HTTP server listening');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    this.#live?.close();
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.setState('stopped');
  }
}
