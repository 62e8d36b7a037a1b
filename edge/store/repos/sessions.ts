import type { Db } from '../db.js';
import { randomSecret, sha256Hex } from '../../security/secrets.js';
import type { Role } from './users.js';

export interface Session {
  id: string;
  userId: number;
  username: string;
  displayName: string;
  role: Role;
  csrf: string;
  lastSeenAt: number;
}

/** How long a session may live: since its last request (idle) and since login (absolute), per role. */
export interface SessionLimits {
  idleMs(role: Role): number;
  maxMs(role: Role): number;
}

interface Row {
  id: string;
  user_id: number;
  csrf: string;
  created_at: number;
  last_seen_at: number;
  username: string;
  display_name: string;
  role: Role;
  disabled: number;
}

/** Why a session is no longer usable, for the close reason of its open WebSockets. */
export type SessionState = 'live' | 'ended' | 'expired' | 'disabled';

/** Login sessions. Only the SHA-256 of the bearer token is stored, so a copied database opens no session. */
export class SessionsRepo {
  readonly #db: Db;
  readonly #onEnded = new Set<() => void>();
  constructor(db: Db) {
    this.#db = db;
  }

  create(userId: number, client: string, now = Date.now()): { token: string; session: Session } {
    const token = randomSecret(32);
    const csrf = randomSecret(24);
    this.#db
      .prepare('INSERT INTO sessions (id, user_id, csrf, created_at, last_seen_at, client) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256Hex(token), userId, csrf, now, now, client.slice(0, 200));
    const session = this.lookup(
      token,
      { idleMs: () => Number.MAX_SAFE_INTEGER, maxMs: () => Number.MAX_SAFE_INTEGER },
      now,
    );
    if (!session) throw new Error('session vanished right after creation');
    return { token, session };
  }

  /**
   * The live session for a token, refreshing its idle timer; undefined when unknown, ended, idle too
   * long, older than its role's absolute lifetime, or its account is disabled or deleted. Every
   * request and every WebSocket re-check comes through here, so ending a session anywhere (logout,
   * a new secret, disabling) takes effect at the next lookup.
   */
  lookup(token: string, limits: SessionLimits, now = Date.now()): Session | undefined {
    const id = sha256Hex(token);
    const r = this.#db
      .prepare<[string], Row>(
        `SELECT s.id, s.user_id, s.csrf, s.created_at, s.last_seen_at, u.username, u.display_name, u.role, u.disabled
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.ended_at IS NULL`,
      )
      .get(id);
    if (!r || r.disabled === 1) return undefined;
    if (now - r.last_seen_at > limits.idleMs(r.role) || now - r.created_at > limits.maxMs(r.role)) {
      this.end(token, now);
      return undefined;
    }
    // Writing on every request would cost a commit per call; a coarse refresh is enough for idle timing.
    if (now - r.last_seen_at > 15_000)
      this.#db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(now, id);
    return {
      id,
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      csrf: r.csrf,
      lastSeenAt: now,
    };
  }

  end(token: string, now = Date.now()): void {
    this.#db.prepare('UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(now, sha256Hex(token));
    this.#ended();
  }

  endAllFor(userId: number, now = Date.now()): void {
    this.#db.prepare('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL').run(now, userId);
    this.#ended();
  }

  /**
   * Whether the session with this id (the stored hash, `Session.id`) may still be used. Unlike
   * lookup it does not refresh the idle timer: an open WebSocket is not a person at the panel.
   */
  state(id: string, limits: SessionLimits, now = Date.now()): SessionState {
    const r = this.#db
      .prepare<
        [string],
        { ended_at: number | null; created_at: number; last_seen_at: number; role: Role; disabled: number }
      >(
        'SELECT s.ended_at, s.created_at, s.last_seen_at, u.role, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?',
      )
      .get(id);
    if (!r || r.ended_at !== null) return 'ended';
    if (r.disabled === 1) return 'disabled';
    return now - r.last_seen_at > limits.idleMs(r.role) || now - r.created_at > limits.maxMs(r.role)
      ? 'expired'
      : 'live';
  }

  /** Called after sessions were ended (logout, new secret), so open WebSockets are re-checked at once. */
  onEnded(listener: () => void): () => void {
    this.#onEnded.add(listener);
    return () => this.#onEnded.delete(listener);
  }

  #ended(): void {
    for (const f of this.#onEnded) {
      try {
        f();
      } catch {
        // A listener's failure must not undo or fail the logout that already happened.
      }
    }
  }
}
