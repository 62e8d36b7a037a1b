import type { LiveFrame, LiveEvents } from '../../edge/messages.js';
import { api } from './api.js';
import { signalLike } from './store.js';

/** One value of one metric of one device, as last received. */
export interface LatestValue {
  deviceId: string;
  metric: string;
  value: number;
  ts: number;
  receivedAt: number;
}

export interface LiveState {
  connected: boolean;
  /** When the last frame arrived; shown with stale data. */
  lastFrameAt: number | undefined;
  latest: Map<string, LatestValue>;
  components: Map<string, LiveEvents['component.state']>;
  /** Active environment alerts by rule. */
  alerts: Map<string, LiveEvents['env.alert']>;
  /** Panel states by display name. */
  displays: Map<string, LiveEvents['display.state']>;
  /** Outbreak signals a panel shows (not yet reported, or reported today), one entry per signal id. */
  healthAlerts: LiveEvents['health.alert'][];
  /** The latest screen-time reminder not yet dismissed. */
  reminder: LiveEvents['display.reminder'] | undefined;
  /** The lesson under way (figures so far), its samples since the panel connected, its live figures. */
  lesson: LiveEvents['lesson.state']['lesson'];
  lessonSamples: LiveEvents['lesson.sample'][];
  lessonLive: LiveEvents['lesson.live'] | undefined;
  /** A diagnostic capture is on: every panel says so. */
  capture: LiveEvents['analysis.capture'];
}

/**
 * The panel's view of the room, fed by `/api/v1/live`. When the connection drops it keeps the last
 * known state (marked stale) and reconnects by itself with backoff; an expired session is reported
 * so the shell can return to the login.
 */
export class LiveClient {
  readonly state = signalLike<LiveState>({
    connected: false,
    lastFrameAt: undefined,
    latest: new Map(),
    components: new Map(),
    alerts: new Map(),
    displays: new Map(),
    healthAlerts: [],
    reminder: undefined,
    lesson: null,
    lessonSamples: [],
    lessonLive: undefined,
    capture: { active: false, until: null, by: null },
  });
  readonly frames = signalLike<LiveFrame | undefined>(undefined);
  #ws: WebSocket | undefined;
  #retryMs = 500;
  #timer: number | undefined;
  #closed = false;
  #onUnauthorized: () => void;

  constructor(onUnauthorized: () => void) {
    this.#onUnauthorized = onUnauthorized;
  }

  start(): void {
    this.#closed = false;
    this.#connect();
  }

  #connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`;
    const ws = new WebSocket(url);
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      // The server sends the whole current state first (open outbreak signals too); alerts that
      // ended meanwhile must go.
      this.state.get().alerts.clear();
      this.state.get().healthAlerts = [];
      this.#retryMs = 500;
      this.#update({ connected: true });
    };
    ws.onmessage = (ev) => {
      // The server sends only frames of the message map (edge/messages.ts), which its tests check.
      const frame: LiveFrame = JSON.parse(String(ev.data));
      this.#handle(frame);
    };
    ws.onclose = (ev) => {
      this.#update({ connected: false });
      if (this.#closed) return;
      // A refused upgrade never opens, and 4401 is the appliance closing a socket whose session
      // ended: either way the session may be over. Ask, then keep retrying.
      if (!opened || ev.code === 4401) void this.#checkSession();
      this.#timer = window.setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 5000);
    };
  }

  async #checkSession(): Promise<void> {
    try {
      if (!(await api('GET /api/v1/session')).authenticated) this.#onUnauthorized();
    } catch {
      // The appliance is unreachable: stay stale and keep retrying.
    }
  }

  #handle(frame: LiveFrame): void {
    const s = this.state.get();
    const now = Date.now();
    switch (frame.type) {
      case 'reading':
        for (const [metric, value] of Object.entries(frame.data.metrics)) {
          s.latest.set(`${frame.data.deviceId}/${metric}`, {
            deviceId: frame.data.deviceId,
            metric,
            value,
            ts: frame.data.ts,
            receivedAt: now,
          });
        }
        break;
      case 'component.state':
        s.components.set(frame.data.name, frame.data);
        break;
      case 'env.alert':
        if (frame.data.state === 'raised') s.alerts.set(frame.data.ruleId, frame.data);
        else s.alerts.delete(frame.data.ruleId);
        break;
      case 'display.state':
        s.displays.set(frame.data.name, frame.data);
        break;
      case 'display.reminder':
        s.reminder = frame.data;
        break;
      case 'health.alert':
        s.healthAlerts = [...s.healthAlerts.filter((a) => a.id !== frame.data.id), frame.data];
        break;
      case 'lesson.state':
        if (frame.data.lesson?.id !== s.lesson?.id) {
          s.lessonSamples = [];
          s.lessonLive = undefined;
        }
        s.lesson = frame.data.lesson;
        break;
      case 'lesson.sample':
        s.lessonSamples = [
          ...s.lessonSamples.filter((x) => x.lessonId === frame.data.lessonId && x.idx !== frame.data.idx),
          frame.data,
        ];
        break;
      case 'lesson.live':
        s.lessonLive = frame.data;
        break;
      case 'analysis.capture':
        s.capture = frame.data;
        break;
      case 'device.connection':
      case 'ingest.rejected':
      case 'modbus.frame':
      case 'card.read':
      case 'health.temperature':
      case 'health.identified':
        break;
      case 'switch.state':
      case 'room.state':
        // The room's panel follows these from the frames (components/room-control.tsx).
        break;
    }
    this.#update({ lastFrameAt: now });
    this.frames.set(frame);
  }

  #update(patch: Partial<LiveState>): void {
    this.state.set({ ...this.state.get(), ...patch });
  }

  dismissReminder(): void {
    this.#update({ reminder: undefined });
  }

  stop(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#ws?.close();
    this.#ws = undefined;
  }
}
