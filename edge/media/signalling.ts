import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  MEDIA_METHOD_ROLES,
  MediaRequestSchemas,
  type MediaEventFrame,
  type MediaMethod,
  type MediaRequests,
  type MediaRole,
} from '../messages.js';
import type { Session } from '../store/repos/sessions.js';
import type { Logger } from '../log.js';
import { ClassEdgeError } from '../errors.js';
import { jsonObject, type MediaReplies } from './wire.js';
import type { types } from 'mediasoup';
import { rejectUpgrade, sameOrigin, type UpgradeTarget } from '../api/upgrade-guard.js';
import type { UpgradeAuth } from '../api/context.js';
import { monoNow } from '../clock.js';

/** Signalling messages are small: SDP-sized JSON at most. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Wrong join codes tolerated per address per minute: an 8-character code cannot be guessed. */
const MAX_BAD_CODES_PER_MINUTE = 10;
/** Close code for a guest (viewer or partner) that did not join or prove itself in time. */
export const NOT_ADMITTED_CLOSE_CODE = 4408;
/** Close code for a socket that answered nothing, not even a ping, for the idle timeout. */
export const IDLE_CLOSE_CODE = 4000;

/** Bounds on sockets that come without a login (media component settings). */
export interface MediaSocketLimits {
  /** A viewer must room.join, a partner must partner.hello, within this long. */
  admitMs: number;
  /** Viewer and partner sockets at once, all addresses together. */
  maxGuests: number;
  maxGuestsPerAddress: number;
  /** Sockets admitted with one join code (the lesson's viewer slots). */
  maxPerCode: () => number;
  /** A socket that sends nothing and answers no ping this long is dropped. */
  idleMs: number;
}

/** One signalling connection: a teacher's panel, a viewer's browser, or a partner appliance. */
export class MediaConnection {
  readonly id = randomBytes(6).toString('hex');
  readonly challenge = randomBytes(16).toString('base64url');
  readonly role: MediaRole;
  readonly session: Session | undefined;
  readonly remoteAddress: string;
  /** Set once the connection joined the room (or, for a partner, once its hello was verified). */
  participantId: string | undefined;
  /** A viewer's join code as presented at upgrade: it admits to that lesson only. */
  admittedCode: string | undefined;
  /** When a message or a pong last came (for the idle timeout). */
  lastHeard = monoNow();
  #ws: WebSocket;
  #onClose: (() => void)[] = [];

  constructor(ws: WebSocket, role: MediaRole, session: Session | undefined, remoteAddress: string) {
    this.#ws = ws;
    this.role = role;
    this.session = session;
    this.remoteAddress = remoteAddress;
    ws.on('close', () => {
      for (const f of this.#onClose.splice(0)) f();
    });
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  onClose(f: () => void): void {
    if (this.#ws.readyState === WebSocket.CLOSED) f();
    else this.#onClose.push(f);
  }

  send(frame: MediaEventFrame): void {
    if (this.open) this.#ws.send(JSON.stringify(frame));
  }

  reply(id: number, result: { ok: true; data: unknown } | { ok: false; error: string; message: string }): void {
    if (this.open) this.#ws.send(JSON.stringify({ id, ...result }));
  }

  close(code = 1000, reason = ''): void {
    this.#ws.close(code, reason);
  }

  ping(): void {
    if (this.open) this.#ws.ping();
  }

  /** Drop the socket without a closing handshake (the peer does not answer). */
  terminate(): void {
    this.#ws.terminate();
  }
}

/** The signalling replies as the appliance builds and reads them: with mediasoup's parameter types. */
export type ApplianceMediaReplies = MediaReplies<{
  rtpCapabilities: types.RtpCapabilities;
  rtpParameters: types.RtpParameters;
  iceParameters: types.IceParameters;
  iceCandidate: types.IceCandidate;
  dtlsParameters: types.DtlsParameters;
  srtpParameters: types.SrtpParameters;
}>;

/** What the media service answers; `conn` tells who asks (role checked before this is called). */
export interface MediaHandler {
  /** The current lesson's join code, to admit viewers; undefined when no lesson runs. */
  joinCodeValid(code: string): boolean;
  handle<M extends MediaMethod>(
    conn: MediaConnection,
    method: M,
    data: MediaRequests[M],
  ): Promise<ApplianceMediaReplies[M]>;
  disconnected(conn: MediaConnection): void;
}

export interface MediaHubOptions {
  log: Logger;
  auth: UpgradeAuth;
  handler: MediaHandler;
  limits: MediaSocketLimits;
}

/**
 * `/api/v1/media`: request/response signalling for remote lessons (the message map in
 * messages.ts). The live socket is one-way and session-only; this one answers requests and also
 * admits people without an account (a lesson's join code) and partner appliances (a signed
 * challenge), each limited to the methods of its role.
 */
export class MediaHub {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  readonly #o: MediaHubOptions;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #badCodes = new Map<string, number[]>();
  readonly connections = new Set<MediaConnection>();
  readonly #heartbeat: NodeJS.Timeout;
  counters = { guestsRefused: 0, notAdmitted: 0, idleClosed: 0 };

  constructor(o: MediaHubOptions) {
    this.#o = o;
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [m, schema] of Object.entries(MediaRequestSchemas)) this.#validators.set(m, ajv.compile(schema));
    // Browsers and ws answer pings by themselves; a peer that vanished or never reads does not.
    this.#heartbeat = setInterval(() => this.#beat(), Math.max(1000, Math.floor(o.limits.idleMs / 3)));
    this.#heartbeat.unref();
  }

  #beat(): void {
    const now = monoNow();
    for (const c of this.connections) {
      if (now - c.lastHeard > this.#o.limits.idleMs) {
        this.counters.idleClosed++;
        c.terminate();
      } else {
        c.ping();
      }
    }
  }

  /** Why one more viewer or partner socket from `addr` (with `code`) is refused, or undefined. */
  #guestRefusal(addr: string, code: string | undefined): string | undefined {
    const l = this.#o.limits;
    let guests = 0;
    let fromAddr = 0;
    let withCode = 0;
    for (const c of this.connections) {
      if (c.role === 'teacher') continue;
      guests++;
      if (c.remoteAddress === addr) fromAddr++;
      if (code !== undefined && c.admittedCode === code) withCode++;
    }
    if (guests >= l.maxGuests)
      return `${guests} viewer and partner sockets are open, at most ${l.maxGuests} (maxGuestSockets)`;
    if (fromAddr >= l.maxGuestsPerAddress)
      return `${fromAddr} viewer and partner sockets from ${addr}, at most ${l.maxGuestsPerAddress} (maxGuestSocketsPerAddress)`;
    if (code !== undefined && withCode >= l.maxPerCode())
      return `${withCode} sockets hold this join code, at most ${l.maxPerCode()} (maxViewers)`;
    return undefined;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget): void {
    const reject = (status: number, text: string, why?: string): void => rejectUpgrade(socket, status, text, why);
    if (!sameOrigin(req)) return reject(403, 'Forbidden');
    const addr = req.socket.remoteAddress ?? '?';
    let role: MediaRole;
    let session: Session | undefined;
    const code = target.query.get('code');
    if (target.query.get('partner') === '1') {
      const refused = this.#guestRefusal(addr, undefined);
      if (refused) {
        this.counters.guestsRefused++;
        return reject(503, 'Service Unavailable', refused);
      }
      role = 'partner';
    } else if (code !== null) {
      const now = monoNow();
      const recent = (this.#badCodes.get(addr) ?? []).filter((t) => now - t < 60_000);
      if (recent.length >= MAX_BAD_CODES_PER_MINUTE) return reject(429, 'Too Many Requests');
      if (!this.#o.handler.joinCodeValid(code.toUpperCase())) {
        if (this.#badCodes.size > 10_000) this.#badCodes.clear(); // bounded memory under a flood
        recent.push(now);
        this.#badCodes.set(addr, recent);
        return reject(404, 'Not Found');
      }
      const refused = this.#guestRefusal(addr, code.toUpperCase());
      if (refused) {
        this.counters.guestsRefused++;
        return reject(503, 'Service Unavailable', refused);
      }
      role = 'viewer';
    } else {
      session = this.#o.auth.authenticate(req);
      if (!session) return reject(401, 'Unauthorized');
      role = 'teacher';
    }
    const admitted = role === 'viewer' ? code?.toUpperCase() : undefined;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, role, session, addr, admitted));
  }

  #accept(
    ws: WebSocket,
    role: MediaRole,
    session: Session | undefined,
    addr: string,
    admittedCode: string | undefined,
  ): void {
    const conn = new MediaConnection(ws, role, session, addr);
    conn.admittedCode = admittedCode;
    this.connections.add(conn);
    // A teacher's powers last as long as the login session, not as long as the socket.
    const unwatch = session
      ? this.#o.auth.sessions.watch(session.id, (code, reason) => conn.close(code, reason))
      : () => undefined;
    // A guest holds a socket only to join: one that does not join (or prove itself) in time goes.
    const admit =
      role === 'teacher'
        ? undefined
        : setTimeout(() => {
            if (conn.participantId !== undefined) return;
            this.counters.notAdmitted++;
            conn.close(
              NOT_ADMITTED_CLOSE_CODE,
              role === 'viewer' ? 'not joined in time (room.join)' : 'no partner.hello in time',
            );
          }, this.#o.limits.admitMs);
    admit?.unref();
    conn.onClose(() => {
      clearTimeout(admit);
      unwatch();
      this.connections.delete(conn);
      this.#o.handler.disconnected(conn);
    });
    ws.on('error', () => undefined);
    ws.on('pong', () => (conn.lastHeard = monoNow()));
    // Requests are answered in order of arrival, one at a time per connection: a client's
    // `consume` must not overtake its own `transport.connect`.
    let queue = Promise.resolve();
    ws.on('message', (raw: RawData) => {
      conn.lastHeard = monoNow();
      // Whatever one message does, the chain goes on and nothing is left unhandled (an unhandled
      // rejection ends the process).
      queue = queue
        .then(() => this.#onMessage(conn, raw))
        .catch((err: unknown) => {
          this.#o.log.error({ err }, 'media message failed');
          conn.reply(0, { ok: false, error: 'internal', message: 'internal error; see the appliance log' });
        });
    });
    conn.send({ type: 'media.hello', data: { challenge: conn.challenge } });
  }

  async #onMessage(conn: MediaConnection, raw: RawData): Promise<void> {
    const m = jsonObject(String(raw));
    if (typeof m === 'string') return conn.reply(0, { ok: false, error: 'invalid_input', message: m });
    const id = typeof m.id === 'number' && Number.isInteger(m.id) ? m.id : 0;
    if (id === 0)
      return conn.reply(0, {
        ok: false,
        error: 'invalid_input',
        message: 'id: expected a positive integer request id',
      });
    const method = typeof m.method === 'string' ? m.method : '';
    const validate = this.#validators.get(method);
    if (!validate)
      return conn.reply(id, {
        ok: false,
        error: 'invalid_input',
        message: `method: '${method}' is not one of ${Object.keys(MediaRequestSchemas).join(', ')}`,
      });
    const roles = MEDIA_METHOD_ROLES[method as MediaMethod];
    if (!roles.includes(conn.role))
      return conn.reply(id, { ok: false, error: 'forbidden', message: `${method}: not allowed for a ${conn.role}` });
    const data = m.data ?? {};
    if (!validate(data)) {
      const e = validate.errors?.[0];
      const field = `data${e?.instancePath ?? ''}`.replace(/\//g, '.');
      return conn.reply(id, {
        ok: false,
        error: 'invalid_input',
        message: `${method}: ${field} ${e?.message ?? 'is invalid'}${e?.params && 'additionalProperty' in e.params ? ` ('${String(e.params.additionalProperty)}')` : ''}`,
      });
    }
    try {
      const result = await this.#o.handler.handle(conn, method as MediaMethod, data as never);
      conn.reply(id, { ok: true, data: result ?? {} });
    } catch (err) {
      if (err instanceof ClassEdgeError) {
        conn.reply(id, { ok: false, error: err.code, message: err.message });
      } else {
        // mediasoup's own errors (a bad RTP parameter, an unsupported codec) are the client's.
        const message = err instanceof Error ? err.message : String(err);
        this.#o.log.warn({ method, err: message }, 'media request failed');
        conn.reply(id, { ok: false, error: 'media_error', message: `${method}: ${message}` });
      }
    }
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const c of this.connections) c.close(1001, 'appliance stopping');
    this.connections.clear();
    this.#wss.close();
  }
}
