import type { Db } from '../db.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { monoNow } from '../../clock.js';

export type Role = 'admin' | 'teacher';
/** Where a login comes from: the kiosk's own browser (loopback) or the LAN. Each has its own failure count and lock. */
export type LoginScope = 'local' | 'remote';

/** The outcome of `reserveLogin`: the attempt may be checked, or it is refused before any hashing. */
export type LoginReservation =
  | { kind: 'unknown' }
  | { kind: 'locked'; lockedUntil: number; leftMs: number }
  | { kind: 'reserved'; user: User & { secretHash: string }; lockedUntil: number | undefined };
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$/;

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  /** The later of the kiosk's and the LAN's lock ends, if any. */
  lockedUntil: number | null;
  createdAt: number;
}

interface Row {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  secret_hash: string;
  failed_logins: number;
  locked_until: number | null;
  remote_failed_logins: number;
  remote_locked_until: number | null;
  disabled: number;
  created_at: number;
}

const toUser = (r: Row): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled === 1,
  lockedUntil:
    r.locked_until === null && r.remote_locked_until === null
      ? null
      : Math.max(r.locked_until ?? 0, r.remote_locked_until ?? 0),
  createdAt: r.created_at,
});

/**
 * Accounts, their failure counts and locks. A lock's stored `locked_until` is a wall-clock time (for
 * the record and for `classedge user list`); whether it still holds is measured on the monotonic
 * clock from when this process set or first saw it, so setting the wall clock back does not lengthen
 * a lock and setting it forward does not lift one. A lock set before a restart is given what its
 * stored end says is left, never more than the lock length (docs/security.md "Clock safety").
 */
export class UsersRepo {
  readonly #db: Db;
  /** `${userId}:${scope}` → when the lock ends, on the monotonic clock. */
  readonly #lockEnds = new Map<string, number>();
  constructor(db: Db) {
    this.#db = db;
  }

  /** Milliseconds the account's lock for `scope` still holds (0 or less: not locked). */
  #lockLeft(r: Row, scope: LoginScope, lockMs: number, now: number, mono: number): number {
    const stored = scope === 'local' ? r.locked_until : r.remote_locked_until;
    const key = `${r.id}:${scope}`;
    if (stored === null) {
      this.#lockEnds.delete(key);
      return 0;
    }
    const end = this.#lockEnds.get(key);
    if (end !== undefined) return end - mono;
    const left = Math.min(stored - now, lockMs);
    if (left > 0) this.#lockEnds.set(key, mono + left);
    return left;
  }

  add(u: { username: string; displayName: string; role: Role; secretHash: string }, now = Date.now()): User {
    try {
      const r = this.#db
        .prepare(
          'INSERT INTO users (username, display_name, role, secret_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(u.username, u.displayName, u.role, u.secretHash, now, now);
      return this.byId(Number(r.lastInsertRowid));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new ConflictError(`user '${u.username}' already exists`);
      throw err;
    }
  }

  byId(id: number): User {
    const r = this.#db.prepare<[number], Row>('SELECT * FROM users WHERE id = ?').get(id);
    if (!r) throw new NotFoundError(`no user with id ${id}`);
    return toUser(r);
  }

  byUsername(username: string): (User & { secretHash: string; failedLogins: number }) | undefined {
    const r = this.#db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?').get(username);
    return r ? { ...toUser(r), secretHash: r.secret_hash, failedLogins: r.failed_logins } : undefined;
  }

  list(role?: Role): User[] {
    return this.#db
      .prepare<[string | null, string | null], Row>(
        'SELECT * FROM users WHERE (? IS NULL OR role = ?) ORDER BY role, username',
      )
      .all(role ?? null, role ?? null)
      .map(toUser);
  }

  countAdmins(): number {
    return (
      this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0").get()
        ?.n ?? 0
    );
  }

  setSecret(username: string, secretHash: string, now = Date.now()): void {
    const r = this.#db
      .prepare(
        'UPDATE users SET secret_hash = ?, failed_logins = 0, locked_until = NULL, remote_failed_logins = 0, remote_locked_until = NULL, updated_at = ? WHERE username = ?',
      )
      .run(secretHash, now, username);
    if (r.changes === 0) throw new NotFoundError(`no user '${username}'`);
  }

  /**
   * The first admin, only while there is no admin at all: the check and the insert are one
   * transaction, so concurrent first-run setups (or a setup racing `classedge user add`) make one.
   */
  addFirstAdmin(u: { username: string; displayName: string; secretHash: string }, now = Date.now()): User | undefined {
    return this.#db
      .transaction(() => {
        const n =
          this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin'").get()?.n ?? 0;
        return n > 0 ? undefined : this.add({ ...u, role: 'admin' }, now);
      })
      .immediate();
  }

  /**
   * One atomic step before a secret is checked: refuse while the account is locked for this scope,
   * otherwise count the attempt as a failure now (and lock when it is the `maxFailed`-th), before
   * the slow hash. So however many attempts arrive at once, at most `maxFailed` are ever checked per
   * lock window; a right secret undoes its own count through `loginSucceeded`.
   */
  reserveLogin(
    username: string,
    role: Role,
    scope: LoginScope,
    maxFailed: number,
    lockMs: number,
    now = Date.now(),
    mono = monoNow(),
  ): LoginReservation {
    const [failedCol, lockCol] =
      scope === 'local'
        ? (['failed_logins', 'locked_until'] as const)
        : (['remote_failed_logins', 'remote_locked_until'] as const);
    return this.#db
      .transaction((): LoginReservation => {
        const r = this.#db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?').get(username);
        if (!r || r.role !== role || r.disabled === 1) return { kind: 'unknown' };
        const left = this.#lockLeft(r, scope, lockMs, now, mono);
        if (left > 0) return { kind: 'locked', lockedUntil: now + left, leftMs: left };
        const failed = (r[lockCol] !== null ? 0 : r[failedCol]) + 1; // a lock that has ended starts a new count
        const lockedUntil = failed >= maxFailed ? now + lockMs : null;
        this.#db
          .prepare(`UPDATE users SET ${failedCol} = ?, ${lockCol} = ? WHERE id = ?`)
          .run(failed, lockedUntil, r.id);
        if (lockedUntil !== null) this.#lockEnds.set(`${r.id}:${scope}`, mono + lockMs);
        return {
          kind: 'reserved',
          user: { ...toUser(r), secretHash: r.secret_hash },
          lockedUntil: lockedUntil ?? undefined,
        };
      })
      .immediate();
  }

  /** Milliseconds the account's lock for this scope still holds; 0 when not locked or unknown. */
  lockLeftMs(username: string, scope: LoginScope, lockMs: number, now = Date.now(), mono = monoNow()): number {
    const r = this.#db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?').get(username);
    return r ? Math.max(0, this.#lockLeft(r, scope, lockMs, now, mono)) : 0;
  }

  /** The secret was right: the scope's count and lock start afresh. */
  loginSucceeded(id: number, scope: LoginScope): void {
    const sql =
      scope === 'local'
        ? 'UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?'
        : 'UPDATE users SET remote_failed_logins = 0, remote_locked_until = NULL WHERE id = ?';
    this.#db.prepare(sql).run(id);
  }

  /** Replace a hash made at an older cost (after a successful login) unless the secret changed meanwhile. */
  rehash(id: number, oldHash: string, newHash: string): void {
    this.#db.prepare('UPDATE users SET secret_hash = ? WHERE id = ? AND secret_hash = ?').run(newHash, id, oldHash);
  }

  /**
   * Disable or enable an account. The last enabled admin cannot be disabled: someone must be able
   * to manage the appliance. Returns the account as it is now.
   */
  setDisabled(username: string, disabled: boolean, now = Date.now()): User {
    return this.#db
      .transaction(() => {
        const r = this.#db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?').get(username);
        if (!r) throw new NotFoundError(`no user '${username}'`);
        if (disabled && r.role === 'admin' && r.disabled === 0 && this.countAdmins() <= 1) {
          throw new ConflictError(`'${username}' is the last enabled admin; add or enable another admin first`);
        }
        // Enabling also lifts any lock, as setting a new secret does.
        const unlock = disabled
          ? ''
          : ', failed_logins = 0, locked_until = NULL, remote_failed_logins = 0, remote_locked_until = NULL';
        this.#db
          .prepare(`UPDATE users SET disabled = ?, updated_at = ?${unlock} WHERE id = ?`)
          .run(disabled ? 1 : 0, now, r.id);
        return this.byId(r.id);
      })
      .immediate();
  }

  /** Delete an account and its sessions (the audit log keeps its name). The last enabled admin stays. */
  remove(username: string): User {
    return this.#db
      .transaction(() => {
        const r = this.#db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?').get(username);
        if (!r) throw new NotFoundError(`no user '${username}'`);
        if (r.role === 'admin' && r.disabled === 0 && this.countAdmins() <= 1) {
          throw new ConflictError(`'${username}' is the last enabled admin; add or enable another admin first`);
        }
        this.#db.prepare('DELETE FROM users WHERE id = ?').run(r.id);
        return toUser(r);
      })
      .immediate();
  }
}
