import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { TypedEmitter, ComponentStatus } from '../runtime/component.js';
import {
  LIVE_EVENT_ROLES,
  LiveEventSchemas,
  type LiveEventName,
  type LiveEvents,
  type LiveFrame,
} from '../messages.js';
import type { Session } from '../store/repos/sessions.js';
import type { Logger } from '../log.js';
import type { ReadingRow } from '../store/repos/readings.js';
import { rejectUpgrade, sameOrigin } from './upgrade-guard.js';
import { componentStateEvent } from '../runtime/registry.js';
import type { SessionWatch } from './session-watch.js';
import { isLoopback } from '../security/login-throttle.js';

export interface LiveOptions {
  bus: TypedEmitter<LiveEvents>;
  log: Logger;
  authenticate(req: IncomingMessage): Session | undefined;
  /** Re-checks each socket's session while it is open. */
  sessions: SessionWatch;
  /** http.webSocket.maxBufferedBytes: a client with more unsent data than this is disconnected. */
  maxBufferedBytes: number;
  snapshot(): {
    components: ComponentStatus[];
    latest: ReadingRow[];
    alerts: LiveEvents['env.alert'][];
    /** Outbreak signals a panel shows (not yet reported, or reported today): they survive a reload. */
    healthAlerts: LiveEvents['health.alert'][];
    displays: LiveEvents['display.state'][];
    lesson: LiveEvents['lesson.state'];
    capture: LiveEvents['analysis.capture'];
  };
}

/**
 * `/api/v1/live`: typed events (the message map in messages.ts) to logged-in clients, filtered by
 * role. A new client first gets the current state, so a reconnecting panel is whole at once.
 */
export class LiveHub {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  readonly #o: LiveOptions;
  readonly #clients = new Map<WebSocket, Session>();
  /** Sockets of teachers logged in on the classroom panel itself (loopback), by username. */
  readonly #panel = new Map<WebSocket, string>();
  readonly #unsubscribe: (() => void)[] = [];
  /** Clients disconnected because they stopped reading (more than maxBufferedBytes unsent). */
  slowClosed = 0;

  constructor(o: LiveOptions) {
    this.#o = o;
    for (const name of Object.keys(LiveEventSchemas) as LiveEventName[]) {
      this.#unsubscribe.push(o.bus.on(name, (data) => this.#broadcast({ type: name, data } as LiveFrame)));
    }
  }

  /** The teachers whose panel session is open now (normally one: the classroom's panel). */
  panelTeachers(): string[] {
    return [...new Set(this.#panel.values())];
  }

  get clients(): number {
    return this.#clients.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, text: string): void => rejectUpgrade(socket, status, text);
    if (!sameOrigin(req)) return reject(403, 'Forbidden');
    const session = this.#o.authenticate(req);
    if (!session) return reject(401, 'Unauthorized');
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#clients.set(ws, session);
      if (session.role === 'teacher' && isLoopback(req.socket.remoteAddress ?? ''))
        this.#panel.set(ws, session.username);
      const unwatch = this.#o.sessions.watch(session.id, (code, reason) => {
        this.#clients.delete(ws);
        ws.close(code, reason);
      });
      const gone = (): void => {
        this.#clients.delete(ws);
        this.#panel.delete(ws);
        unwatch();
      };
      ws.on('close', gone);
      ws.on('error', gone);
      // The live channel is one-way; a client message is ignored rather than trusted.
      ws.on('message', () => undefined);
      const snap = this.#o.snapshot();
      for (const c of snap.components)
        this.#send(ws, session, { type: 'component.state', data: componentStateEvent(c) });
      const byDevice = new Map<string, { ts: number; receivedAt: number; metrics: Record<string, number> }>();
      for (const r of snap.latest) {
        const d = byDevice.get(r.deviceId) ?? { ts: r.ts, receivedAt: r.receivedAt, metrics: {} };
        d.metrics[r.metric] = r.value;
        d.ts = Math.max(d.ts, r.ts);
        byDevice.set(r.deviceId, d);
      }
      for (const [deviceId, d] of byDevice)
        this.#send(ws, session, {
          type: 'reading',
          data: { deviceId, ts: d.ts, receivedAt: d.receivedAt, metrics: d.metrics },
        });
      for (const a of snap.alerts) this.#send(ws, session, { type: 'env.alert', data: a });
      for (const a of snap.healthAlerts) this.#send(ws, session, { type: 'health.alert', data: a });
      for (const d of snap.displays) this.#send(ws, session, { type: 'display.state', data: d });
      this.#send(ws, session, { type: 'lesson.state', data: snap.lesson });
      this.#send(ws, session, { type: 'analysis.capture', data: snap.capture });
    });
  }

  #send(ws: WebSocket, session: Session, frame: LiveFrame): void {
    if (!LIVE_EVENT_ROLES[frame.type].includes(session.role)) return;
    if (ws.readyState !== WebSocket.OPEN) return;
    // A client that stopped reading would hold every frame sent to it in this process' memory.
    // Skipping frames would leave its view silently wrong; cut it off, and its reconnect gets the
    // whole state. terminate(): a close frame would only queue behind what it does not read.
    if (ws.bufferedAmount > this.#o.maxBufferedBytes) {
      this.slowClosed++;
      this.#clients.delete(ws);
      this.#o.log.warn(
        { bufferedBytes: ws.bufferedAmount, limit: this.#o.maxBufferedBytes },
        'live client stopped reading; disconnected (http.webSocket.maxBufferedBytes)',
      );
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(frame));
  }

  #broadcast(frame: LiveFrame): void {
    for (const [ws, session] of this.#clients) this.#send(ws, session, frame);
  }

  /** Close every live socket and stop listening to the bus. Idempotent. */
  close(): void {
    for (const u of this.#unsubscribe) u();
    for (const ws of this.#clients.keys()) ws.close(1001, 'appliance stopping');
    this.#clients.clear();
    this.#panel.clear();
    this.#wss.close();
  }
}
