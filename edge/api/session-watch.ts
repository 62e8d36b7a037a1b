import type { SessionState } from '../store/repos/sessions.js';

/** WebSocket close code for "your login session is over": 4000-4999 are the application's (RFC 6455 §7.4.2). */
export const SESSION_ENDED_CLOSE_CODE = 4401;

const REASONS: Record<Exclude<SessionState, 'live'>, string> = {
  ended: 'session ended (logged out, or signed out by a new PIN or password)',
  expired: 'session expired (idle too long, or older than its maximum lifetime)',
  disabled: 'account disabled',
};

/**
 * A session is checked at upgrade, but a WebSocket lives on for hours: every socket opened with a
 * session is re-checked every `everyMs` (idle expiry, a disabled account) and at once when a
 * session ends (logout, a new PIN), and closed with SESSION_ENDED_CLOSE_CODE and the reason.
 */
export class SessionWatch {
  readonly #state: (sessionId: string) => SessionState;
  readonly #sockets = new Map<object, { sessionId: string; close(code: number, reason: string): void }>();
  readonly #timer: NodeJS.Timeout;
  closedForSession = 0;

  constructor(o: { state(sessionId: string): SessionState; everyMs: number }) {
    this.#state = o.state;
    this.#timer = setInterval(() => this.recheck(), o.everyMs);
    this.#timer.unref();
  }

  /** Watch a socket's session until the returned function is called (the socket closed). */
  watch(sessionId: string, close: (code: number, reason: string) => void): () => void {
    const key = {};
    this.#sockets.set(key, { sessionId, close });
    return () => this.#sockets.delete(key);
  }

  recheck(): void {
    const states = new Map<string, SessionState>();
    for (const [key, s] of this.#sockets) {
      let state = states.get(s.sessionId);
      if (state === undefined) {
        state = this.#state(s.sessionId);
        states.set(s.sessionId, state);
      }
      if (state === 'live') continue;
      this.#sockets.delete(key);
      this.closedForSession++;
      s.close(SESSION_ENDED_CLOSE_CODE, REASONS[state]);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#sockets.clear();
  }
}
