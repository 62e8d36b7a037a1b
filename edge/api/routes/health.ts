import { route, RawResponse, type ApiRequest, type RouteDef } from '../route.js';
import type { ApiContext } from '../context.js';
import { dailyReport, reportCsv, reportHtml, type DailyReport, type ReportLang } from '../../health/report.js';
import { parseRoster, importRoster } from '../../health/roster.js';
import { recordConsent } from '../../health/subject-rights.js';
import { compensate } from '../../health/config.js';
import { NotFoundError } from '../../errors.js';

import { actor } from '../actor.js';

/** A report leaving the screen (download or print) is an export of minors' data: audited. */
function audited(
  req: ApiRequest<unknown, unknown>,
  ctx: ApiContext,
  where: { classId?: string | undefined; day?: string | undefined },
  format: 'csv' | 'html' | 'print',
): DailyReport {
  const r = dailyReport(ctx.health, where.classId ?? ctx.health.defaultClass(), where.day ?? ctx.health.today());
  ctx.store.audit.record({
    actor: actor(req),
    action: 'health.export',
    target: r.classId,
    result: 'ok',
    detail: { day: r.day, format },
  });
  return r;
}

function exportReport(
  req: ApiRequest<unknown, { classId?: string; day?: string; lang?: ReportLang }>,
  ctx: ApiContext,
  format: 'csv' | 'html',
): RawResponse {
  const r = audited(req, ctx, req.query, format);
  return format === 'csv'
    ? new RawResponse('text/csv; charset=utf-8', reportCsv(r), `health-${r.classId}-${r.day}.csv`)
    : new RawResponse(
        'text/html; charset=utf-8',
        reportHtml(r, req.query.lang ?? ctx.config.kiosk.defaultLanguage, ctx.config.appliance.timezone),
      );
}

export const healthRoutes: RouteDef[] = [
  route('GET /api/v1/health/classes', {
    tag: 'health',
    access: 'teacher',
    summary: 'Classes on the roster, and which one this door serves.',
    handler: (_req, ctx) => {
      let def: string | null = null;
      try {
        def = ctx.health.defaultClass();
      } catch {
        def = null;
      }
      return { default: def, classes: ctx.health.classes() };
    },
  }),
  route('GET /api/v1/health/day', {
    tag: 'health',
    access: 'teacher',
    summary:
      "The class's morning check: every student with the day's check, fever re-measure time, absence and status.",
    handler: (req, ctx) => ctx.health.day(req.query.classId ?? ctx.health.defaultClass(), req.query.day),
  }),
  route('POST /api/v1/health/measure', {
    tag: 'health',
    access: 'teacher',
    summary:
      "Take a reading from the door's infrared thermometer (raw, ambient and the compensated value with its method).",
    handler: async (req, ctx) => {
      const stations = ctx.thermometers();
      const t = req.body.station === undefined ? stations[0] : stations.find((s) => s.name === req.body.station);
      if (!t) throw new NotFoundError('no thermometer configured at this door');
      const r = await t.measure();
      return { station: t.name, ...r, ...compensate(r.objectC, r.ambientC, ctx.config.health.compensation) };
    },
  }),
  route('POST /api/v1/health/checks', {
    tag: 'health',
    access: 'teacher',
    summary:
      'Record a check. A fever (>= health.feverC) asks for a re-measure after health.remeasureAfterMinutes; the re-measure confirms or clears it.',
    status: 201,
    handler: (req, ctx) => ctx.health.recordCheck(req.body, actor(req)),
  }),
  route('POST /api/v1/health/checks/:id/corrections', {
    tag: 'health',
    access: 'teacher',
    summary: 'Correct a check: a new record supersedes it; the old one stays, with who, when and why.',
    status: 201,
    handler: (req, ctx) => {
      const { reason, ...change } = req.body;
      return ctx.health.correctCheck(Number(req.params.id), change, reason, actor(req));
    },
  }),
  route('POST /api/v1/health/absences', {
    tag: 'health',
    access: 'teacher',
    summary: 'Record why a student is absent; an absence for illness records symptoms and onset for follow-up.',
    status: 201,
    handler: (req, ctx) => ctx.health.recordAbsence(req.body, actor(req)),
  }),
  route('POST /api/v1/health/absences/:id/follow-up', {
    tag: 'health',
    access: 'teacher',
    summary: 'Add a follow-up note to an absence, and the day the student returned.',
    handler: (req, ctx) => ctx.health.followUp(Number(req.params.id), req.body.note, req.body.returnedDay, actor(req)),
  }),
  route('GET /api/v1/health/alerts', {
    tag: 'health',
    access: 'teacher',
    summary: 'Class-level outbreak signals raised on this appliance (report within 24 h).',
    handler: (_req, ctx) => ctx.health.alerts(),
  }),
  route('POST /api/v1/health/alerts/:id/reported', {
    tag: 'health',
    access: 'teacher',
    summary:
      '已上报: mark an outbreak signal as reported to the CDC and the education bureau (who and when; again after it grew). Audited; every panel is told.',
    handler: (req, ctx) =>
      ctx.health.markReported(Number(req.params.id), actor(req), req.session?.displayName ?? actor(req)),
  }),
  route('GET /api/v1/health/report', {
    tag: 'health',
    access: 'teacher',
    summary: 'Daily per-class summary: checked, fever, symptoms, absences by reason.',
    handler: (req, ctx) =>
      dailyReport(ctx.health, req.query.classId ?? ctx.health.defaultClass(), req.query.day ?? ctx.health.today()),
  }),
  route('POST /api/v1/health/report/printed', {
    tag: 'health',
    access: 'teacher',
    summary: "The kiosk printed the daily report (its 打印 button): an export of minors' data, audited.",
    handler: (req, ctx) => {
      const r = audited(req, ctx, req.body, 'print');
      return { classId: r.classId, day: r.day };
    },
  }),
  route('GET /api/v1/health/report.csv', {
    tag: 'health',
    access: 'teacher',
    summary: 'The daily report as CSV (UTF-8 with BOM, opens in Excel).',
    handler: (req, ctx) => exportReport(req, ctx, 'csv'),
  }),
  route('GET /api/v1/health/report.html', {
    tag: 'health',
    access: 'teacher',
    summary: 'The daily report as a printable page, in Chinese or English (lang; default: the kiosk default language).',
    handler: (req, ctx) => exportReport(req, ctx, 'html'),
  }),
  route('GET /api/v1/health/students', {
    tag: 'health',
    access: 'admin',
    summary: 'The roster (names, numbers, cards; no health data). Open one student for the record.',
    handler: (_req, ctx) => ctx.store.roster.list(),
  }),
  route('GET /api/v1/health/students/:id', {
    tag: 'health',
    access: 'admin',
    summary: "A student's record (roster entry, every check with corrections, absences). Every read is audit-logged.",
    handler: (req, ctx) => {
      const r = ctx.health.record(Number(req.params.id));
      ctx.store.audit.record({
        actor: actor(req),
        action: 'health.read-student',
        target: r.student.pseudonym,
        result: 'ok',
      });
      const s = r.student;
      return {
        student: { id: s.id, class_id: s.classId, student_no: s.studentNo, name: s.name, active: s.active },
        checks: r.checks.map((c) => ({
          id: c.id,
          day: c.day,
          result: c.result,
          temp_compensated: c.tempC,
          symptoms: JSON.stringify(c.symptoms),
          recorded_by: c.recordedBy,
          correction_reason: c.correctionReason,
          superseded_by: c.supersededBy,
        })),
        absences: r.absences.map((a) => ({
          day: a.day,
          reason: a.reason,
          symptoms: JSON.stringify(a.symptoms),
          returned_day: a.returnedDay,
        })),
      };
    },
  }),
  route('PUT /api/v1/health/students/:id/consent', {
    tag: 'health',
    access: 'admin',
    summary:
      "Record the guardian's consent as the school took it. Without 'given', the student's checks and absences stay on the appliance. Audited.",
    handler: (req, ctx) =>
      recordConsent(ctx.store, ctx.health.record(Number(req.params.id)).student, req.body.status, actor(req)),
  }),
  route('POST /api/v1/health/roster', {
    tag: 'health',
    access: 'admin',
    summary:
      "Import the district's roster CSV (base64). Bad rows are reported by line and field; a bad file changes nothing.",
    handler: (req, ctx) => {
      const { rows, encoding } = parseRoster(Buffer.from(req.body.csvBase64, 'base64'));
      const r = importRoster(ctx.store, rows, actor(req));
      ctx.store.audit.record({ actor: actor(req), action: 'health.roster-import', result: 'ok', detail: { ...r } });
      return { ...r, encoding };
    },
  }),
];
