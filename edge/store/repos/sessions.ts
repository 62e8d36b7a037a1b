import type { Db } from '../db.js';
import { randomSecret, sha256Hex } from '../../security/secrets.js';
import type { Role } from './users.js';
import { monoNow } from '../../clock.js';

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

/** When a session was issued and last used, on this process's monotonic clock (`monoNow`). */
interface MonoStamps {
  userId: number;
  created: number;
  lastSeen: number;
}

/**
 * Login sessions. Only the SHA-256 of the bearer token is stored, so a copied database opens no session.
 *
 * How long a session has lived and idled is measured on the monotonic clock, never by subtracting
 * wall-clock stamps: setting the clock back two years must not keep a session open two more years,
 * and setting it forward must not end every session at once. The stored `created_at` and
 * `last_seen_at` stay wall-clock times (the record of when), and are read only for a session this
 * process has not seen yet (issued before a restart): its age is taken from them once, and from
 * then on only the monotonic clock counts. A wall clock behind those stamps has moved back, so the
 * time the session idled cannot be known: it ends (docs/security.md "Clock safety").
 */
export class SessionsRepo {
  readonly #db: Db;
  readonly #onEnded = new Set<() => void>();
  readonly #mono = new Map<string, MonoStamps>();
  constructor(db: Db) {
    this.#db = db;
  }

  create(userId: number, client: string, now = Date.now(), mono = monoNow()): { token: string; session: Session } {
    const token = randomSecret(32);
    const csrf = randomSecret(24);
    const id = sha256Hex(token);
    this.#db
      .prepare('INSERT INTO sessions (id, user_id, csrf, created_at, last_seen_at, client) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, userId, csrf, now, now, client.slice(0, 200));
    this.#mono.set(id, { userId, created: mono, lastSeen: mono });
    const session = this.lookup(
      token,
      { idleMs: () => Number.MAX_SAFE_INTEGER, maxMs: () => Number.MAX_SAFE_INTEGER },
      now,
      mono,
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
  lookup(token: string, limits: SessionLimits, now = Date.now(), mono = monoNow()): Session | undefined {
    const id = sha256Hex(token);
    const r = this.#db
      .prepare<[string], Row>(
        `SELECT s.id, s.user_id, s.csrf, s.created_at, s.last_seen_at, u.username, u.display_name, u.role, u.disabled
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.ended_at IS NULL`,
      )
      .get(id);
    if (!r || r.disabled === 1) return undefined;
    const m = this.#stamps(r, now, mono);
    if (!m || this.#expired(m, r.role, limits, mono)) {
      this.end(token, now);
      return undefined;
    }
    // Writing on every request would cost a commit per call; a coarse refresh is enough for idle timing.
    if (mono - m.lastSeen > 15_000) {
      m.lastSeen = mono;
      this.#db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(now, id);
    }
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
    const id = sha256Hex(token);
    this.#db.prepare('UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(now, id);
    this.#mono.delete(id);
    this.#ended();
  }

  endAllFor(userId: number, now = Date.now()): void {
    this.#db.prepare('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL').run(now, userId);
    for (const [id, m] of this.#mono) if (m.userId === userId) this.#mono.delete(id);
    this.#ended();
  }

  /**
   * The session's monotonic stamps; made from the stored wall-clock stamps the first time this
   * process meets it. Undefined when the wall clock is behind those stamps (it was set back).
   */
  #stamps(
    r: { id: string; user_id: number; created_at: number; last_seen_at: number },
    now: number,
    mono: number,
  ): MonoStamps | undefined {
    const known = this.#mono.get(r.id);
    if (known) return known;
    if (now < r.created_at || now < r.last_seen_at) return undefined;
    const m = { userId: r.user_id, created: mono - (now - r.created_at), lastSeen: mono - (now - r.last_seen_at) };
    this.#mono.set(r.id, m);
    return m;
  }

  #expired(m: MonoStamps, role: Role, limits: SessionLimits, mono: number): boolean {
    return mono - m.lastSeen > limits.idleMs(role) || mono - m.created > limits.maxMs(role);
  }

  /**
   * Whether the session with this id (the stored hash, `Session.id`) may still be used. Unlike
   * lookup it does not refresh the idle timer: an open WebSocket is not a person at the panel.
   */
  state(id: string, limits: SessionLimits, now = Date.now(), mono = monoNow()): SessionState {
    const r = this.#db
      .prepare<
        [string],
        {
          id: string;
          user_id: number;
          ended_at: number | null;
          created_at: number;
          last_seen_at: number;
          role: Role;
          disabled: number;
        }
      >(
        'SELECT s.id, s.user_id, s.ended_at, s.created_at, s.last_seen_at, u.role, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?',
      )
      .get(id);
    if (!r || r.ended_at !== null) return 'ended';
    if (r.disabled === 1) return 'disabled';
    const m = this.#stamps(r, now, mono);
    return !m || this.#expired(m, r.role, limits, mono) ? 'expired' : 'live';
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
