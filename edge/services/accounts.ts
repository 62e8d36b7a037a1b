import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { USERNAME_PATTERN, type Role, type User } from '../store/repos/users.js';
import { DUMMY_HASH, hashSecret, passwordProblem, pinProblem, verifySecret } from '../security/secrets.js';
import { AuthError, ValidationError, type ValidationIssue } from '../errors.js';

/** Admins log in with a password, teachers with a short PIN; both are checked against the config's rules. */
export function secretProblem(role: Role, secret: string, auth: Config['auth']): string | undefined {
  return role === 'admin' ? passwordProblem(secret, { minLength: auth.passwordMinLength }) : pinProblem(secret, auth.pinLength);
}

export async function addUser(
  store: Store,
  config: Config,
  input: { username: string; displayName?: string; role: string; secret: string },
  actor: string,
): Promise<User> {
  const issues: ValidationIssue[] = [];
  if (!USERNAME_PATTERN.test(input.username)) issues.push({ path: '/username', expected: `letters, digits, . _ -, 2-32 long`, value: input.username });
  if (input.role !== 'admin' && input.role !== 'teacher') issues.push({ path: '/role', expected: 'admin or teacher', value: input.role });
  const displayName = (input.displayName ?? input.username).trim();
  if (displayName.length === 0 || displayName.length > 60) issues.push({ path: '/displayName', expected: '1-60 characters', value: input.displayName });
  const role = input.role as Role;
  if (issues.length === 0) {
    const p = secretProblem(role, input.secret, config.auth);
    if (p) issues.push({ path: role === 'admin' ? '/password' : '/pin', expected: p });
  }
  if (issues.length > 0) throw new ValidationError('user', issues);
  const user = store.users.add({ username: input.username, displayName, role, secretHash: await hashSecret(input.secret) });
  store.audit.record({ actor, action: 'user.add', target: user.username, result: 'ok', detail: { role } });
  return user;
}

export async function setUserSecret(store: Store, config: Config, username: string, secret: string, actor: string): Promise<void> {
  const u = store.users.byUsername(username);
  if (!u) throw new ValidationError('user', [{ path: '/username', expected: 'an existing user', value: username }]);
  const p = secretProblem(u.role, secret, config.auth);
  if (p) throw new ValidationError('user', [{ path: u.role === 'admin' ? '/password' : '/pin', expected: p }]);
  store.users.setSecret(username, await hashSecret(secret));
  store.sessions.endAllFor(u.id);
  store.audit.record({ actor, action: 'user.set-secret', target: username, result: 'ok' });
}

/**
 * Check a login. Counts failures and locks the account after `maxFailedLogins` in a row; a locked
 * account is refused even with the right secret until the lock ends. Every attempt is audited.
 */
export async function authenticateUser(
  store: Store,
  config: Config,
  input: { username: string; secret: string; role: Role; client: string },
  now = Date.now(),
): Promise<User> {
  const u = store.users.byUsername(input.username);
  const audit = (result: 'ok' | 'denied', why?: string): void =>
    store.audit.record({ actor: `user:${input.username}`, action: `login.${input.role}`, target: input.client, result, detail: why ? { why } : {} });
  if (!u || u.role !== input.role || u.disabled) {
    await verifySecret(input.secret, DUMMY_HASH);
    audit('denied', 'unknown user or wrong role');
    throw new AuthError(401, input.role === 'admin' ? 'wrong username or password' : 'wrong name or PIN');
  }
  if (u.lockedUntil !== null && u.lockedUntil > now) {
    audit('denied', 'locked');
    throw new AuthError(423, 'account locked after repeated failures', Math.ceil((u.lockedUntil - now) / 1000));
  }
  if (!(await verifySecret(input.secret, u.secretHash))) {
    const lockedUntil = store.users.recordFailure(u.id, config.auth.maxFailedLogins, config.auth.lockoutMinutes * 60_000, now);
    audit('denied', lockedUntil ? 'wrong secret; account locked' : 'wrong secret');
    if (lockedUntil) throw new AuthError(423, 'account locked after repeated failures', Math.ceil((lockedUntil - now) / 1000));
    throw new AuthError(401, input.role === 'admin' ? 'wrong username or password' : 'wrong name or PIN');
  }
  store.users.recordSuccess(u.id);
  audit('ok');
  return store.users.byId(u.id);
}
