import type { Static } from '@sinclair/typebox';
import { route, type ApiRequest, type RouteDef } from '../route.js';
import { OK, type SessionBody } from '../schemas.js';
import { authenticateUser, createFirstAdmin } from '../../services/accounts.js';
import { isLoopback } from '../../security/login-throttle.js';
import { AuthError } from '../../errors.js';
import { claimForTeacher } from './lessons.js';
import type { ApiContext } from '../context.js';
import type { Session } from '../../store/repos/sessions.js';
import type { Role } from '../../store/repos/users.js';

function sessionBody(ctx: ApiContext, s: Session | undefined): Static<typeof SessionBody> {
  return {
    authenticated: s !== undefined,
    setupRequired: ctx.store.users.countAdmins() === 0,
    ...(s ? { user: { username: s.username, displayName: s.displayName, role: s.role }, csrfToken: s.csrf } : {}),
  };
}

/** Admins log in with a password, teachers with a PIN; otherwise the two logins are the same. */
async function login(
  req: ApiRequest<unknown, unknown, unknown>,
  ctx: ApiContext,
  role: Role,
  username: string,
  secret: string,
): Promise<Static<typeof SessionBody>> {
  const user = await authenticateUser(ctx.store, ctx.config, { username, secret, role, client: req.ip }, ctx.logins);
  const { token, session } = ctx.store.sessions.create(user.id, req.ip);
  req.setSessionCookie(token);
  // The teacher who logs in on the panel while a lesson runs is that lesson's teacher.
  claimForTeacher(session, ctx);
  return sessionBody(ctx, session);
}

const LOCKS = 'Locks the account after repeated failures (423); too many attempts from one address get 429.';

export const sessionRoutes: RouteDef[] = [
  route('GET /api/v1/session', {
    tag: 'session',
    access: 'public',
    summary: 'Who is logged in on this browser, its CSRF token, and whether first-run setup is needed.',
    handler: (req, ctx) => sessionBody(ctx, req.session),
  }),
  route('POST /api/v1/session/admin', {
    tag: 'session',
    access: 'public',
    summary: `Admin login with password. ${LOCKS}`,
    handler: (req, ctx) => login(req, ctx, 'admin', req.body.username, req.body.password),
  }),
  route('POST /api/v1/session/teacher', {
    tag: 'session',
    access: 'public',
    summary: `Teacher login with PIN. ${LOCKS}`,
    handler: (req, ctx) => login(req, ctx, 'teacher', req.body.username, req.body.pin),
  }),
  route('DELETE /api/v1/session', {
    tag: 'session',
    access: 'teacher',
    summary: 'Log out.',
    handler: (req, ctx) => {
      req.setSessionCookie(null);
      ctx.store.audit.record({ actor: `user:${req.session?.username ?? '?'}`, action: 'logout', result: 'ok' });
      return OK;
    },
  }),
  route('GET /api/v1/teachers', {
    tag: 'session',
    access: 'public',
    summary:
      "Names of the teachers who may log in, for the classroom panel's login picker: only to the panel's own browser (loopback) or a logged-in user; from the LAN without a session 403 (type the username).",
    handler: (req, ctx) => {
      // Listing every username to the classroom Wi-Fi turns PIN guessing into a sweep of all staff.
      if (!isLoopback(req.ip) && !req.session)
        throw new AuthError(
          403,
          'the list of teachers is shown only on the classroom panel itself; type your username',
        );
      return ctx.store.users
        .list('teacher')
        .filter((u) => !u.disabled)
        .map((u) => ({ username: u.username, displayName: u.displayName }));
    },
  }),
  route('POST /api/v1/setup/admin', {
    tag: 'session',
    access: 'public',
    summary:
      "First run only, and only from the appliance's own browser (loopback): create the first admin. Refused (409) once any admin exists, 403 from the LAN (use classedge provision or classedge user add there).",
    status: 201,
    handler: async (req, ctx) => {
      // Until an admin exists anyone who reaches this creates one; the LAN (and a rebinding page,
      // which the Host check stops first) must not be able to.
      if (!isLoopback(req.ip))
        throw new AuthError(
          403,
          'first-run setup is possible only on the appliance itself (its own browser, or classedge user add)',
        );
      const body = req.body;
      return createFirstAdmin(
        ctx.store,
        ctx.config,
        { username: body.username, displayName: body.displayName ?? body.username, password: body.password },
        `setup:${req.ip}`,
      );
    },
  }),
];

export function requireRole(session: Session | undefined, access: 'teacher' | 'admin'): Session {
  if (!session) throw new AuthError(401, 'log in first');
  if (access === 'admin' && session.role !== 'admin') throw new AuthError(403, 'this needs an admin login');
  return session;
}
