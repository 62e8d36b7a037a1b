import type pg from 'pg';
import type { ConsoleRole } from './console/contract.js';

export { CONSOLE_ROLES, type ConsoleRole } from './console/contract.js';

/** A console account as a route sees it: `school` '' means every school. */
export interface ConsoleUser {
  username: string;
  role: ConsoleRole;
  school: string;
}

/** What one login attempt may do: check this hash, or nothing until `lockedUntil`. */
export type LoginAttempt =
  | { kind: 'check'; user: ConsoleUser; secretHash: string }
  | { kind: 'locked'; lockedUntil: Date }
  | { kind: 'unknown' };

/** The console's accounts, sessions and audit trail. Every statement of the console's own tables is here. */
export class ConsoleStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** A new account, or the same username's role, school and secret replaced (its sessions end). */
  async putUser(u: ConsoleUser, secretHash: string): Promise<void> {
    await this.#pool.query(
      `INSERT INTO console_users (username, role, school, secret_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO UPDATE SET role = excluded.role, school = excluded.school,
         secret_hash = excluded.secret_hash, failed_logins = 0, locked_until = NULL`,
      [u.username, u.role, u.school, secretHash],
    );
    await this.#pool.query('DELETE FROM console_sessions WHERE username = $1', [u.username]);
  }

  async users(): Promise<ConsoleUser[]> {
    return (await this.#pool.query<ConsoleUser>('SELECT username, role, school FROM console_users ORDER BY username'))
      .rows;
  }

  /**
   * Take one attempt before the secret is checked: counted at once, in one statement, so that
   * parallel guesses each use one of the `max` attempts; the attempt that reaches `max` locks the
   * account for `lockMs` (a correct secret then clears it through `loginSucceeded`).
   */
  async takeAttempt(username: string, max: number, lockMs: number): Promise<LoginAttempt> {
    const r = await this.#pool.query<ConsoleUser & { secret_hash: string }>(
      `UPDATE console_users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + $3 * interval '1 millisecond' ELSE NULL END
       WHERE username = $1 AND (locked_until IS NULL OR locked_until <= now())
       RETURNING username, role, school, secret_hash`,
      [username, max, lockMs],
    );
    const row = r.rows[0];
    if (row)
      return {
        kind: 'check',
        user: { username: row.username, role: row.role, school: row.school },
        secretHash: row.secret_hash,
      };
    const locked = (
      await this.#pool.query<{ locked_until: Date | null }>(
        'SELECT locked_until FROM console_users WHERE username = $1',
        [username],
      )
    ).rows[0];
    return locked?.locked_until ? { kind: 'locked', lockedUntil: locked.locked_until } : { kind: 'unknown' };
  }

  async loginSucceeded(username: string): Promise<void> {
    await this.#pool.query('UPDATE console_users SET failed_logins = 0, locked_until = NULL WHERE username = $1', [
      username,
    ]);
  }

  async createSession(tokenHash: string, username: string, ttlMs: number): Promise<void> {
    await this.#pool.query(
      "INSERT INTO console_sessions (token_hash, username, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')",
      [tokenHash, username, ttlMs],
    );
  }

  /** The session's account while it has not expired. */
  async session(tokenHash: string): Promise<ConsoleUser | undefined> {
    return (
      await this.#pool.query<ConsoleUser>(
        `SELECT u.username, u.role, u.school FROM console_sessions s JOIN console_users u USING (username)
         WHERE s.token_hash = $1 AND s.expires_at > now()`,
        [tokenHash],
      )
    ).rows[0];
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.#pool.query('DELETE FROM console_sessions WHERE token_hash = $1 OR expires_at <= now()', [tokenHash]);
  }

  async audit(username: string, action: string, target: string, result: 'ok' | 'denied'): Promise<void> {
    await this.#pool.query('INSERT INTO console_audit (username, action, target, result) VALUES ($1, $2, $3, $4)', [
      username.slice(0, 200),
      action,
      target.slice(0, 500),
      result,
    ]);
  }
}
