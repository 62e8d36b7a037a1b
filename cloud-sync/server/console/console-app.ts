import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import { describeProblem, nulPath, wireCheck, type Checked } from '../../protocol.js';
import type { Logger } from '../../../edge/log.js';
import { DUMMY_HASH, verifySecret } from '../../../edge/security/secrets.js';
import { HashGate } from '../../../edge/security/hash-gate.js';
import { FleetStore } from '../fleet-store.js';
import { dayOf, healthDay, item, signal } from './views.js';
import { ConsoleStore, type ConsoleUser } from '../console-store.js';
import { HealthStore } from '../health-store.js';
import { ResearchStore } from '../research-store.js';
import { RolloutStore, ringText, type RolloutRow } from '../rollout-store.js';
import { EnvironmentStore } from '../environment-store.js';
import { MAX_TERM_DAYS, daysBetween, districtDay, environmentAnswer, realDay, termStart } from './environment-view.js';
import {
  EnvironmentQuery,
  FleetQuery,
  HealthQuery,
  LoginRequest,
  ROLLOUT_STATES,
  RolloutHaltRequest,
  SignalNoteRequest,
  type ApplianceAnswer,
  type ConsoleError,
  type FleetAnswer,
  type HealthDay,
  type HealthDaysAnswer,
  type HealthSignal,
  type LessonGroupsAnswer,
  type Me,
  type RolloutItem,
  type RolloutsAnswer,
  type SignalsAnswer,
} from './contract.js';

const COOKIE = 'classedge_console';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const checkLogin = wireCheck(LoginRequest);
const checkFleetQuery = wireCheck(FleetQuery);
const checkHealthQuery = wireCheck(HealthQuery);
const checkNote = wireCheck(SignalNoteRequest);
const checkHalt = wireCheck(RolloutHaltRequest);

function rolloutItem(r: RolloutRow): RolloutItem {
  return {
    id: r.id,
    version: r.version.slice(0, 200),
    bundle: r.bundle,
    size: r.size,
    ring: ringText(r.ring).slice(0, 2000),
    window: r.window,
    maxFailureShare: r.maxFailureShare,
    state: r.state,
    reason: r.reason.slice(0, 1000),
    createdAt: r.createdAt.getTime(),
    ringSize: r.ringSize,
    counts: Object.fromEntries(ROLLOUT_STATES.map((s) => [s, r.counts[s] ?? 0])) as RolloutItem['counts'],
  };
}
const checkEnvironmentQuery = wireCheck(EnvironmentQuery);

/**
 * A request's body or query as its schema says, or a 400 naming the field and what was expected
 * (the wording of the wire protocol's refusals); text holding NUL is refused too, as the receiver
 * does: PostgreSQL stores none.
 */
function valid<T>(check: (v: unknown) => Checked<T>, value: unknown, root: string): T {
  const r = check(value);
  if (!r.ok) throw new ConsoleRefusal(400, 'invalid_input', describeProblem(r.problem, root));
  const nul = nulPath(r.value);
  if (nul !== undefined) throw new ConsoleRefusal(400, 'invalid_input', `${nul}: expected text without NUL`);
  return r.value;
}
const DAY_MS = 86_400_000;
/** Groups of fewer lessons show their count only: a group of one or two could stand for one teacher. */
const MIN_GROUP = 3;
/** The longest range of days one health read covers. */
const MAX_HEALTH_DAYS = 92;

export interface ConsoleOptions {
  /** The primary: accounts, sessions, the audit and notes are written here. */
  pool: pg.Pool;
  /**
   * Where the fleet, health and lesson reads go: a streaming replica, so that the console's reads
   * never load the primary the receivers write to (docs/district-console.md, "Scale"). Default: `pool`.
   */
  readPool?: pg.Pool;
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
  /** The district's time zone: "today" on the environment page when the page does not say (Asia/Shanghai). */
  timeZone?: string;
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

/**
 * The district console's server: its accounts and sessions, the typed API routes the pages read,
 * and the pages themselves. Mounted by `classedge-district serve --console-port` on its own
 * listener, so that the receivers' internet-facing port serves appliances only.
 */
export class DistrictConsole {
  readonly #o: ConsoleOptions;
  readonly store: ConsoleStore;
  readonly #fleet: FleetStore;
  readonly #health: HealthStore;
  /** The same store on the primary: notes are written, never to a replica. */
  readonly #healthNotes: HealthStore;
  readonly #research: ResearchStore;
  readonly #rollouts: RolloutStore;
  /** The same store on the primary: a halt is written there. */
  readonly #rolloutHalts: RolloutStore;
  readonly #environment: EnvironmentStore;
  /** At most two people's-cost hashes at once, eight waiting: 128 MiB each. */
  readonly #hashes = new HashGate({ maxRunning: 2, maxQueued: 8 });

  constructor(o: ConsoleOptions) {
    this.#o = o;
    this.store = new ConsoleStore(o.pool);
    const read = o.readPool ?? o.pool;
    this.#fleet = new FleetStore(read);
    this.#health = new HealthStore(read);
    this.#healthNotes = new HealthStore(o.pool);
    this.#research = new ResearchStore(read);
    this.#rollouts = new RolloutStore(read);
    this.#rolloutHalts = new RolloutStore(o.pool);
    this.#environment = new EnvironmentStore(read);
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
    api.get(
      '/health/days',
      route((req, res) => this.#healthDays(req, res)),
    );
    api.get(
      '/health/signals',
      route((req, res) => this.#signals(req, res)),
    );
    api.post(
      '/health/signals/:appliance/:signal/notes',
      route((req, res) => this.#signalNote(req, res)),
    );
    api.get(
      '/research/lessons',
      route((req, res) => this.#lessonGroups(req, res)),
    );
    api.get(
      '/rollouts',
      route((req, res) => this.#rolloutsRoute(req, res)),
    );
    api.post(
      '/rollouts/:id/halt',
      route((req, res) => this.#haltRoute(req, res)),
    );
    api.get(
      '/environment',
      route((req, res) => this.#environmentRoute(req, res)),
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
    const { username, password } = valid(checkLogin, req.body, '(body)');
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
    const q = valid(checkFleetQuery, raw, '(query)');
    const now = this.#now();
    const page = await this.#fleet.fleetPage(new Date(now), this.#o.offlineAfterMs, scope, {
      ...(q.school ? { school: q.school } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.search?.trim() ? { search: q.search.trim() } : {}),
      offset: q.offset ?? 0,
      limit: q.limit ?? 200,
    });
    const answer: FleetAnswer = {
      now,
      offlineAfterS: Math.round(this.#o.offlineAfterMs / 1000),
      schools: page.schools,
      counts: page.counts,
      matching: page.matching,
      appliances: page.rows.map(item),
    };
    res.json(answer);
  }

  /** Health data is for the health role only (school doctor, CDC): its school, or every school. */
  #healthScope(u: ConsoleUser): { school: string | undefined } {
    if (u.role !== 'health')
      throw new ConsoleRefusal(403, 'forbidden', 'health data is for health accounts (school doctor, CDC) only');
    return { school: u.school || undefined };
  }

  #healthQuery(req: Request): { from: string; to: string; school?: string } {
    const raw: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
    const q = valid(checkHealthQuery, raw, '(query)');
    const to = q.to ?? dayOf(this.#now());
    const from = q.from ?? dayOf(Date.parse(`${to}T00:00:00Z`) - 6 * DAY_MS);
    const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
    if (!Number.isFinite(span) || span < 0 || span >= MAX_HEALTH_DAYS)
      throw new ConsoleRefusal(
        400,
        'invalid_input',
        `query /from, /to: expected real days, from not after to, at most ${MAX_HEALTH_DAYS} days`,
      );
    return { from, to, ...(q.school ? { school: q.school } : {}) };
  }

  async #healthDays(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#healthScope(u);
    const q = this.#healthQuery(req);
    // An account of one school reads that school, whatever it asks for.
    const school = scope.school ?? q.school;
    const rows = await this.#health.classDays(q.from, q.to, school);
    await this.store.audit(u.username, 'health.days.read', `${q.from}..${q.to} ${school ?? '*'}`, 'ok');
    const days = rows.map(healthDay).filter((d): d is HealthDay => d !== undefined);
    // A weekday after a class's first report in the range on which it made none (before its first
    // one it may not have been installed; holidays are not known here).
    const missing: HealthDaysAnswer['missing'] = [];
    const first = new Map<string, HealthDay>();
    for (const d of [...days].sort((a, b) => a.day.localeCompare(b.day))) {
      const key = `${d.applianceId}\n${d.classId}`;
      if (!first.has(key)) first.set(key, d);
    }
    const reported = new Set(days.map((d) => `${d.applianceId}\n${d.classId}\n${d.day}`));
    const today = dayOf(this.#now());
    for (let t = Date.parse(`${q.from}T00:00:00Z`); t <= Date.parse(`${q.to}T00:00:00Z`); t += DAY_MS) {
      const day = dayOf(t);
      const weekday = new Date(t).getUTCDay();
      if (weekday === 0 || weekday === 6 || day >= today) continue;
      for (const [key, c] of first)
        if (day > c.day && !reported.has(`${key}\n${day}`))
          missing.push({
            applianceId: c.applianceId,
            school: c.school,
            classId: c.classId,
            className: c.className,
            day,
          });
    }
    const answer: HealthDaysAnswer = { from: q.from, to: q.to, days, missing };
    res.json(answer);
  }

  async #signals(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#healthScope(u);
    const q = this.#healthQuery(req);
    const school = scope.school ?? q.school;
    const rows = await this.#health.signals(q.from, school);
    await this.store.audit(u.username, 'health.signals.read', `${q.from}.. ${school ?? '*'}`, 'ok');
    const answer: SignalsAnswer = {
      since: q.from,
      signals: rows.map(signal).filter((x): x is HealthSignal => x !== undefined),
    };
    res.json(answer);
  }

  /** A note on a signal; the first one acknowledges it. */
  async #signalNote(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#healthScope(u);
    if (!req.is('application/json')) throw new ConsoleRefusal(415, 'invalid_input', 'expected a JSON body {note}');
    const { note } = valid(checkNote, req.body, '(body)');
    const appliance = String(req.params.appliance ?? '').slice(0, 200);
    const signalId = String(req.params.signal ?? '').slice(0, 200);
    if (!(await this.#health.signalInScope(appliance, signalId, scope.school)))
      throw new ConsoleRefusal(404, 'not_found', `no signal '${signalId}' of '${appliance}' in this account's schools`);
    await this.#healthNotes.addNote(appliance, signalId, u.username, note);
    await this.store.audit(u.username, 'health.signal.note', `${appliance}/${signalId}`, 'ok');
    res.status(201).json({ ok: true });
  }

  /** Teaching research (教研): lessons by school and grade, aggregates only. */
  async #lessonGroups(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    if (u.role !== 'research')
      throw new ConsoleRefusal(403, 'forbidden', 'lesson analytics are for teaching-research accounts');
    const q = this.#healthQuery(req);
    const school = u.school || q.school;
    const rows = await this.#research.lessonGroups(q.from, q.to, school);
    const share = (n: number, of: number): number => (of > 0 ? n / of : 0);
    const clamp = (x: number | null): number | null =>
      x === null || !Number.isFinite(x) ? null : Math.max(0, Math.min(1, x));
    const real = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);
    const answer: LessonGroupsAnswer = {
      from: q.from,
      to: q.to,
      minGroup: MIN_GROUP,
      groups: rows.map((g) => {
        const shown = g.lessons >= MIN_GROUP;
        const hide = <T>(v: T): T | null => (shown ? v : null);
        return {
          school: g.school,
          grade: g.grade.slice(0, 200),
          lessons: g.lessons,
          shown,
          teacherTalkShare: hide(clamp(g.teacherTalkShare)),
          rt: hide(clamp(g.rt)),
          ch: hide(clamp(g.ch)),
          modes: {
            lecture: hide(share(g.modes.lecture, g.lessons)),
            practice: hide(share(g.modes.practice, g.lessons)),
            dialogue: hide(share(g.modes.dialogue, g.lessons)),
            mixed: hide(share(g.modes.mixed, g.lessons)),
          },
          questioned: g.questioned,
          wt1MedianS: hide(real(g.wt1MedianS)),
          wt1AtLeast3sShare: hide(clamp(g.wt1AtLeast3sShare)),
          wt2MedianS: hide(real(g.wt2MedianS)),
          episodesPer10Min: hide(real(g.episodesPer10Min)),
          headUpMean: hide(clamp(g.headUpMean)),
        };
      }),
    };
    res.json(answer);
  }

  /**
   * The environment page: each classroom's and school's share of lesson time over the limits, for a
   * day (today by default) and a term (from its start to that day by default). Environment and
   * district IT accounts read every school, or their own when they have one; school IT its own.
   * Not personal data: not audited.
   */
  async #environmentRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    if (u.role !== 'environment' && u.role !== 'district-it' && u.role !== 'school-it')
      throw new ConsoleRefusal(
        403,
        'forbidden',
        'the environment page is for environment, district IT and school IT accounts',
      );
    const q = valid(checkEnvironmentQuery, { ...(req.query as Record<string, unknown>) }, '(query)');
    const day = q.day ?? districtDay(this.#now(), this.#o.timeZone ?? 'Asia/Shanghai');
    const to = q.to ?? day;
    const from = q.from ?? termStart(to);
    for (const [k, v] of [
      ['day', day],
      ['from', from],
      ['to', to],
    ] as const)
      if (!realDay(v)) throw new ConsoleRefusal(400, 'invalid_input', `query /${k}: expected a real day, got "${v}"`);
    const span = daysBetween(from, to);
    if (span < 0 || span >= MAX_TERM_DAYS)
      throw new ConsoleRefusal(
        400,
        'invalid_input',
        `query /from, /to: expected from not after to, at most ${MAX_TERM_DAYS} days`,
      );
    const school = (u.role === 'school-it' ? u.school : u.school || q.school) || undefined;
    const rows = await this.#environment.exposure(day, from, to, school);
    res.json(environmentAnswer(rows, { day, from, to }));
  }

  async #applianceRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#fleetScope(u);
    const id = String(req.params.id ?? '').slice(0, 200);
    const row = (await this.#fleet.fleet(new Date(this.#now()), this.#o.offlineAfterMs, { ...scope, id }))[0];
    // Outside the account's school it does not exist, as far as the account can tell.
    if (!row) throw new ConsoleRefusal(404, 'not_found', `no appliance '${id}' in this account's schools`);
    const history = (await this.#fleet.history(id, 200)).map((h) => ({ at: h.receivedAt.getTime(), ...h.entry }));
    const updates = (await this.#rollouts.outcomes(id)).map((o) => ({
      rolloutId: o.rolloutId,
      state: o.state,
      version: o.version.slice(0, 200),
      detail: o.detail.slice(0, 300),
      changedAt: o.changedAt.getTime(),
    }));
    const answer: ApplianceAnswer = { appliance: item(row), history, updates };
    res.json(answer);
  }

  /** The rollouts (docs/fleet-updates.md): every one for district IT, those reaching its school for school IT. */
  async #rolloutsRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    const scope = this.#fleetScope(u);
    const rows = await this.#rollouts.rollouts(50, undefined, scope.school);
    const answer: RolloutsAnswer = { mayHalt: u.role === 'district-it' && !u.school, rollouts: rows.map(rolloutItem) };
    res.json(answer);
  }

  /** A person halts a rollout (the district halts one by itself past its failure share); audited. */
  async #haltRoute(req: Request, res: Response): Promise<void> {
    const u = await this.#user(req);
    // A rollout spans schools: only an account of the whole district may stop it.
    if (u.role !== 'district-it' || u.school)
      throw new ConsoleRefusal(403, 'forbidden', "halting a rollout is for the whole district's IT accounts");
    if (!req.is('application/json')) throw new ConsoleRefusal(415, 'invalid_input', 'expected a JSON body {reason}');
    const { reason } = valid(checkHalt, req.body, '(body)');
    const raw = String(req.params.id ?? '');
    const id = /^[1-9][0-9]{0,8}$/.test(raw) ? Number(raw) : undefined;
    if (id === undefined) throw new ConsoleRefusal(400, 'invalid_input', 'path /id: expected a rollout number');
    const before = (await this.#rolloutHalts.rollouts(1, id))[0];
    if (!before) throw new ConsoleRefusal(404, 'not_found', `no rollout ${id}`);
    if (!(await this.#rolloutHalts.halt(id, `halted by ${u.username}: ${reason}`)))
      throw new ConsoleRefusal(409, 'not_active', `rollout ${id} is ${before.state}, not active`);
    await this.store.audit(u.username, 'rollout.halt', String(id), 'ok');
    const after = (await this.#rolloutHalts.rollouts(1, id))[0] ?? before;
    res.json({ mayHalt: true, rollouts: [rolloutItem(after)] } satisfies RolloutsAnswer);
  }
}
