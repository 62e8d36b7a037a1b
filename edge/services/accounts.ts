import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { USERNAME_PATTERN, type LoginScope, type Role, type User } from '../store/repos/users.js';
import { DUMMY_HASH, hashSecret, needsRehash, passwordProblem, pinProblem, verifySecret } from '../security/secrets.js';
import { isLoopback, type LoginThrottle } from '../security/login-throttle.js';
import type { HashGate } from '../security/hash-gate.js';
import { AuthError, ConflictError, ValidationError, type ValidationIssue } from '../errors.js';

/** Admins log in with a password, teachers with a short PIN; both are checked against the config's rules. */
export function secretProblem(role: Role, secret: string, auth: Config['auth']): string | undefined {
  return role === 'admin'
    ? passwordProblem(secret, { minLength: auth.passwordMinLength })
    : pinProblem(secret, auth.pinLength);
}

function checkUser(
  config: Config,
  input: { username: string; displayName?: string; role: string; secret: string },
): { displayName: string; role: Role } {
  const issues: ValidationIssue[] = [];
  if (!USERNAME_PATTERN.test(input.username))
    issues.push({ path: '/username', expected: `letters, digits, . _ -, 2-32 long`, value: input.username });
  if (input.role !== 'admin' && input.role !== 'teacher')
    issues.push({ path: '/role', expected: 'admin or teacher', value: input.role });
  const displayName = (input.displayName ?? input.username).trim();
  if (displayName.length === 0 || displayName.length > 60)
    issues.push({ path: '/displayName', expected: '1-60 characters', value: input.displayName });
  const role = input.role as Role;
  if (issues.length === 0) {
    const p = secretProblem(role, input.secret, config.auth);
    if (p) issues.push({ path: role === 'admin' ? '/password' : '/pin', expected: p });
  }
  if (issues.length > 0) throw new ValidationError('user', issues);
  return { displayName, role };
}

export async function addUser(
  store: Store,
  config: Config,
  input: { username: string; displayName?: string; role: string; secret: string },
  actor: string,
): Promise<User> {
  const { displayName, role } = checkUser(config, input);
  const user = store.users.add({
    username: input.username,
    displayName,
    role,
    secretHash: await hashSecret(input.secret),
  });
  store.audit.record({ actor, action: 'user.add', target: user.username, result: 'ok', detail: { role } });
  return user;
}

/**
 * The first admin, from the one-time setup: refused (409) once any admin exists. The check is made
 * again in the same transaction as the insert, after the slow hash, so concurrent setups make one.
 */
export async function createFirstAdmin(
  store: Store,
  config: Config,
  input: { username: string; displayName?: string; password: string },
  actor: string,
): Promise<User> {
  const taken = (): ConflictError => new ConflictError('an admin already exists; log in as that admin to add others');
  if (store.users.countAdmins() > 0) throw taken();
  const { displayName } = checkUser(config, { ...input, role: 'admin', secret: input.password });
  const user = store.users.addFirstAdmin({
    username: input.username,
    displayName,
    secretHash: await hashSecret(input.password),
  });
  if (!user) throw taken();
  store.audit.record({
    actor,
    action: 'user.add',
    target: user.username,
    result: 'ok',
    detail: { role: 'admin', firstRun: true },
  });
  return user;
}

/** Disable or enable an account. Disabling ends its sessions at once; enabling lifts any lock. */
export function setUserDisabled(store: Store, username: string, disabled: boolean, actor: string): User {
  const u = store.users.setDisabled(username, disabled);
  if (disabled) store.sessions.endAllFor(u.id);
  store.audit.record({ actor, action: disabled ? 'user.disable' : 'user.enable', target: u.username, result: 'ok' });
  return u;
}

/** Delete an account; its sessions go with it. The audit log keeps what it did. */
export function removeUser(store: Store, username: string, actor: string): User {
  const u = store.users.remove(username);
  store.audit.record({ actor, action: 'user.remove', target: u.username, result: 'ok', detail: { role: u.role } });
  return u;
}

export async function setUserSecret(
  store: Store,
  config: Config,
  username: string,
  secret: string,
  actor: string,
): Promise<void> {
  const u = store.users.byUsername(username);
  if (!u) throw new ValidationError('user', [{ path: '/username', expected: 'an existing user', value: username }]);
  const p = secretProblem(u.role, secret, config.auth);
  if (p) throw new ValidationError('user', [{ path: u.role === 'admin' ? '/password' : '/pin', expected: p }]);
  store.users.setSecret(username, await hashSecret(secret));
  store.sessions.endAllFor(u.id);
  store.audit.record({ actor, action: 'user.set-secret', target: username, result: 'ok' });
}

/**
 * Check a login. The source's throttle and the account's lock are decided, and the attempt counted
 * as a failure, in one synchronous step before the slow hash (see UsersRepo.reserveLogin): however
 * many attempts arrive at once, at most `maxFailedLogins` per account and lock window are checked,
 * and a right secret is refused while the account is locked. A right secret resets the count and
 * gives the source its attempt back. At most `auth.loginHashConcurrency` hashes run at once and
 * `auth.loginQueueMax` wait; more are refused (429) unchecked and unaudited. Every other attempt is
 * audited, except throttle refusals after the first of their window.
 */
export interface LoginGuards {
  throttle: LoginThrottle;
  hashes: HashGate;
}

export async function authenticateUser(
  store: Store,
  config: Config,
  input: { username: string; secret: string; role: Role; client: string },
  guards: LoginGuards,
): Promise<User> {
  const audit = (result: 'ok' | 'denied', why?: string): void =>
    store.audit.record({
      actor: `user:${input.username}`,
      action: `login.${input.role}`,
      target: input.client,
      result,
      detail: why ? { why } : {},
    });
  const wrong = (): AuthError =>
    new AuthError(401, input.role === 'admin' ? 'wrong username or password' : 'wrong name or PIN');
  const source = guards.throttle.reserve(input.client);
  if (!source.ok) {
    if (source.firstRefusal) audit('denied', 'too many attempts from this address');
    throw new AuthError(429, 'too many login attempts from this device; wait before trying again', source.retryAfterS);
  }
  const scope: LoginScope = isLoopback(input.client) ? 'local' : 'remote';
  const locked = (until: number, now: number): AuthError => {
    audit('denied', 'locked');
    return new AuthError(423, 'account locked after repeated failures', Math.ceil((until - now) / 1000));
  };
  // A locked account needs no hash: refuse it without queueing for one (the check below decides).
  const lockedFor = store.users.lockLeftMs(input.username, scope, config.auth.lockoutMinutes * 60_000);
  if (lockedFor > 0) throw locked(Date.now() + lockedFor, Date.now());
  const slot = guards.hashes.enter();
  if (!slot) throw new AuthError(429, 'too many logins at once; try again in a moment', 1, 'login_busy');
  const release = await slot;
  try {
    // The account is looked at again only now, holding a hash slot: the lock check, the count and
    // the hash follow each other with nothing in between that another attempt could slip into.
    const now = Date.now();
    const { maxFailedLogins, lockoutMinutes } = config.auth;
    const r = store.users.reserveLogin(
      input.username,
      input.role,
      scope,
      maxFailedLogins,
      lockoutMinutes * 60_000,
      now,
    );
    if (r.kind === 'locked') throw locked(r.lockedUntil, now);
    if (r.kind === 'unknown') {
      await verifySecret(input.secret, DUMMY_HASH);
      audit('denied', 'unknown user or wrong role');
      throw wrong();
    }
    const u = r.user;
    if (!(await verifySecret(input.secret, u.secretHash))) {
      audit('denied', r.lockedUntil ? 'wrong secret; account locked' : 'wrong secret');
      if (r.lockedUntil)
        throw new AuthError(423, 'account locked after repeated failures', Math.ceil((r.lockedUntil - now) / 1000));
      throw wrong();
    }
    store.users.loginSucceeded(u.id, scope);
    guards.throttle.refund(input.client);
    if (needsRehash(u.secretHash)) store.users.rehash(u.id, u.secretHash, await hashSecret(input.secret));
    audit('ok');
    return store.users.byId(u.id);
  } finally {
    release();
  }
}
