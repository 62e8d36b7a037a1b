import { route, type RouteDef } from '../route.js';
import { AuthError, NotFoundError } from '../../errors.js';
import { stCurve, type StCode } from '../../analysis/st.js';
import { lessonEvent } from '../../analysis/lesson-period.js';

import { actor } from '../actor.js';
import type { ApiContext } from '../context.js';
import type { Session } from '../../store/repos/sessions.js';

/**
 * A lesson a teacher starts, ends, or is logged in on the panel during is theirs (their trends);
 * the first such teacher keeps it.
 */
export function claimForTeacher(session: Session | undefined, ctx: ApiContext, lessonId?: number): void {
  const id = lessonId ?? ctx.analysis.current()?.id;
  if (session?.role === 'teacher' && id !== undefined) ctx.store.lessons.claim(id, session.username);
}

export const lessonRoutes: RouteDef[] = [
  route('GET /api/v1/lessons', {
    tag: 'lessons',
    access: 'teacher',
    summary: 'Lessons analysed, newest first (the lesson under way included).',
    handler: (req, ctx) => {
      const current = ctx.analysis.current();
      return ctx.store.lessons
        .list({ limit: req.query.limit, ...(req.query.before !== undefined ? { before: req.query.before } : {}) })
        .map((l) => lessonEvent(l.id === current?.id ? current : l, ctx.config));
    },
  }),
  route('GET /api/v1/lessons/current', {
    tag: 'lessons',
    access: 'teacher',
    summary: 'The lesson under way with its figures so far, or null.',
    handler: (_req, ctx) => {
      const l = ctx.analysis.current();
      return { lesson: l ? lessonEvent(l, ctx.config) : null, capture: ctx.capture.state() };
    },
  }),
  route('POST /api/v1/lessons/start', {
    tag: 'lessons',
    access: 'teacher',
    summary: 'Start a lesson now (outside the timetable, or when the timetable is not used). 409 if one is under way.',
    status: 201,
    handler: (req, ctx) => {
      const l = ctx.analysis.startLesson(actor(req));
      claimForTeacher(req.session, ctx, l.id);
      return lessonEvent(l, ctx.config);
    },
  }),
  route('POST /api/v1/lessons/current/end', {
    tag: 'lessons',
    access: 'teacher',
    summary: 'End the lesson under way; its figures are final and go to the district.',
    handler: (req, ctx) => {
      const l = ctx.analysis.endLesson(actor(req));
      claimForTeacher(req.session, ctx, l.id);
      return lessonEvent(l, ctx.config);
    },
  }),
  route('GET /api/v1/lessons/trends', {
    tag: 'lessons',
    access: 'teacher',
    summary:
      "A teacher's own lessons over time (talk share, S-T, wait times, episodes, modes), for their trends: a teacher sees only their own, an admin any teacher's. Never a comparison of teachers.",
    handler: (req, ctx) => {
      const s = req.session!;
      const asked = req.query.teacher;
      if (s.role !== 'admin' && asked !== undefined && asked !== s.username)
        throw new AuthError(403, "a teacher sees only their own lessons' trends");
      const username = s.role === 'admin' ? asked : s.username;
      const since = Date.now() - req.query.days * 86_400_000;
      const user = username === undefined ? undefined : ctx.store.users.byUsername(username);
      if (username !== undefined && !user) throw new NotFoundError(`no user ${username}`);
      if (s.role === 'admin' && username !== undefined)
        ctx.store.audit.record({ actor: actor(req), action: 'lesson.trends.read', target: username, result: 'ok' });
      return {
        teacher: user ? { username: user.username, displayName: user.displayName } : null,
        teachers:
          s.role === 'admin'
            ? ctx.store.lessons
                .teachers()
                .map((u) => ctx.store.users.byUsername(u))
                .filter((u) => u !== undefined)
                .map((u) => ({ username: u.username, displayName: u.displayName }))
            : [],
        lessons: user
          ? ctx.store.lessons.byTeacher(user.username, since, 200).map((l) => lessonEvent(l, ctx.config))
          : [],
      };
    },
  }),
  route('GET /api/v1/lessons/:id', {
    tag: 'lessons',
    access: 'teacher',
    summary:
      'The report of one lesson: figures, every S-T sample (code, talk seconds, faces against students present) and the S-T curve.',
    handler: (req, ctx) => {
      const id = Number(req.params.id);
      const current = ctx.analysis.current();
      const lesson = current?.id === id ? current : ctx.store.lessons.get(id);
      if (!lesson) throw new NotFoundError(`no lesson ${req.params.id}`);
      const samples = ctx.store.lessons.samples(id);
      return {
        lesson: lessonEvent(lesson, ctx.config),
        samples,
        curve: stCurve(samples.map((s) => s.code).filter((c): c is StCode => c !== null)),
      };
    },
  }),
  route('GET /api/v1/analysis/capture', {
    tag: 'lessons',
    access: 'admin',
    summary: 'Diagnostic capture: whether it is on, until when, and the captures still on disk.',
    handler: (_req, ctx) => ({
      state: ctx.capture.state(),
      captures: ctx.capture.list().map((c) => ({ ...c, endedAt: c.endedAt ?? null })),
    }),
  }),
  route('POST /api/v1/analysis/capture', {
    tag: 'lessons',
    access: 'admin',
    summary:
      'Switch on a time-limited diagnostic capture: camera frames (with the faces found) and audio are written to the data directory until it ends. Audit-logged, shown on every kiosk, deleted after analysis.diagnosticCapture.keepHours.',
    status: 201,
    handler: (req, ctx) => ctx.capture.start(actor(req), req.body.minutes),
  }),
  route('DELETE /api/v1/analysis/capture', {
    tag: 'lessons',
    access: 'admin',
    summary: 'Switch the diagnostic capture off now.',
    handler: (req, ctx) => ctx.capture.stop(actor(req)),
  }),
];
