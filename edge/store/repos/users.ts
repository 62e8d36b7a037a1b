import type { Db } from '../db.js';
import { ConflictError, NotFoundError } from '../../errors.js';

export type Role = 'admin' | 'teacher';
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$/;

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
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
  disabled: number;
  created_at: number;
}

const toUser = (r: Row): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled === 1,
  lockedUntil: r.locked_until,
  createdAt: r.created_at,
});

export class UsersRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  add(u: { username: string; displayName: string; role: Role; secretHash: string }, now = Date.now()): User {
    try {
      const r = this.#db
        .prepare('INSERT INTO users (username, display_name, role, secret_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(u.username, u.displayName, u.role, u.secretHash, now, now);
      return this.byId(Number(r.lastInsertRowid));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`user '${u.username}' already exists`);
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
      .prepare<[string | null, string | null], Row>('SELECT * FROM users WHERE (? IS NULL OR role = ?) ORDER BY role, username')
      .all(role ?? null, role ?? null)
      .map(toUser);
  }

  countAdmins(): number {
    return this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0").get()?.n ?? 0;
  }

  setSecret(username: string, secretHash: string, now = Date.now()): void {
    const r = this.#db
      .prepare('UPDATE users SET secret_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE username = ?')
      .run(secretHash, now, username);
    if (r.changes === 0) throw new NotFoundError(`no user '${username}'`);
  }

  /** Count a failed login; lock the account when `maxFailed` is reached. Returns the lock end, if locked. */
  recordFailure(id: number, maxFailed: number, lockMs: number, now = Date.now()): number | undefined {
    return this.#db
      .transaction(() => {
        const r = this.#db.prepare<[number], Row>('SELECT * FROM users WHERE id = ?').get(id);
        if (!r) return undefined;
        const failed = r.failed_logins + 1;
        const lockedUntil = failed >= maxFailed ? now + lockMs : null;
        this.#db
          .prepare('UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?')
          .run(lockedUntil === null ? failed : 0, lockedUntil, id);
        return lockedUntil ?? undefined;
      })
      .immediate();
  }

  recordSuccess(id: number): void {
    this.#db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(id);
  }
}
