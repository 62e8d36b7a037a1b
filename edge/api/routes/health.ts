import { Type, type Static } from '@sinclair/typebox';
import { route, RawResponse, type ApiRequest, type RouteDef } from '../route.js';
import type { ApiContext } from '../context.js';
import { StringEnum } from '../../config/string-enum.js';
import { SYMPTOMS, ABSENCE_REASONS } from '../../health/symptoms.js';
import { dailyReport, reportCsv, reportHtml } from '../../health/report.js';
import { parseRoster, importRoster } from '../../health/roster.js';
import { compensate } from '../../health/config.js';
import { NotFoundError } from '../../errors.js';
import type { Thermometer } from '../../../firmware-bridge/thermometer/thermometer.js';

const actor = (req: { session: { username: string } | undefined }): string => `user:${req.session?.username ?? '?'}`;
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Symptoms = Type.Array(StringEnum(SYMPTOMS), { maxItems: SYMPTOMS.length });
/**
 * What the admin screen's record view shows (ui-kiosk/src/screens/admin/students.tsx), in the field
 * names and encodings it reads: no guardian phone, card, pseudonym, notes or raw temperatures.
 */
const StudentRecord = Type.Object({
  student: Type.Object({ id: Type.Integer(), class_id: Type.String(), student_no: Type.String(), name: Type.String(), active: Type.Boolean() }),
  checks: Type.Array(
    Type.Object({
      id: Type.Integer(),
      day: Day,
      result: Type.String(),
      temp_compensated: Type.Union([Type.Number(), Type.Null()]),
      symptoms: Type.String({ description: 'JSON array of symptom codes' }),
      recorded_by: Type.String(),
      correction_reason: Type.Union([Type.String(), Type.Null()]),
      superseded_by: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  absences: Type.Array(Type.Object({ day: Day, reason: Type.String(), symptoms: Type.String({ description: 'JSON array of symptom codes' }), returned_day: Type.Union([Type.String(), Type.Null()]) })),
});
const ClassDay = Type.Object({ classId: Type.Optional(Type.String({ maxLength: 32 })), day: Type.Optional(Day) }, { additionalProperties: false });

/** A report leaving the screen (download or print) is an export of minors' data: audited. */
function exportReport(req: ApiRequest<unknown, { classId?: string; day?: string }>, ctx: ApiContext, format: 'csv' | 'html'): RawResponse {
  const r = dailyReport(ctx.health, req.query.classId ?? ctx.health.defaultClass(), req.query.day ?? ctx.health.today());
  ctx.store.audit.record({ actor: actor(req), action: 'health.export', target: r.classId, result: 'ok', detail: { day: r.day, format } });
  return format === 'csv' ? new RawResponse('text/csv; charset=utf-8', reportCsv(r), `health-${r.classId}-${r.day}.csv`) : new RawResponse('text/html; charset=utf-8', reportHtml(r));
}

export const healthRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/health/classes',
    tag: 'health',
    access: 'teacher',
    summary: 'Classes on the roster, and which one this door serves.',
    response: Type.Object({ default: Type.Union([Type.String(), Type.Null()]), classes: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), students: Type.Integer() })) }),
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
  route({
    method: 'get',
    path: '/api/v1/health/day',
    tag: 'health',
    access: 'teacher',
    summary: "The class's morning check: every student with the day's check, fever re-measure time, absence and status.",
    query: ClassDay,
    response: Type.Array(Type.Unknown()),
    handler: (req, ctx) => ctx.health.day(req.query.classId ?? ctx.health.defaultClass(), req.query.day),
  }),
  route({
    method: 'post',
    path: '/api/v1/health/measure',
    tag: 'health',
    access: 'teacher',
    summary: "Take a reading from the door's infrared thermometer (raw, ambient and the compensated value with its method).",
    body: Type.Object({ station: Type.Optional(Type.String()) }, { additionalProperties: false }),
    response: Type.Object({ station: Type.String(), objectC: Type.Number(), ambientC: Type.Number(), compensatedC: Type.Number(), method: Type.String(), at: Type.Integer() }),
    handler: async (req, ctx) => {
      const stations = ctx.components().filter((c) => c.kind === 'thermometer');
      const name = req.body.station ?? stations[0]?.name;
      const t = name ? (ctx.component(name) as Thermometer | undefined) : undefined;
      if (!t) throw new NotFoundError('no thermometer configured at this door');
      const r = await t.measure();
      return { station: t.name, ...r, ...compensate(r.objectC, r.ambientC, ctx.config.health.compensation) };
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/health/checks',
    tag: 'health',
    access: 'teacher',
    summary: 'Record a check. A fever (>= health.feverC) asks for a re-measure after health.remeasureAfterMinutes; the re-measure confirms or clears it.',
    body: Type.Object(
      {
        studentId: Type.Integer({ minimum: 1 }),
        tempRawC: Type.Optional(Type.Number()),
        ambientC: Type.Optional(Type.Number()),
        symptoms: Symptoms,
        notes: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
    response: Type.Unknown(),
    status: 201,
    handler: (req, ctx) => ctx.health.recordCheck(req.body, actor(req)),
  }),
  route({
    method: 'post',
    path: '/api/v1/health/checks/:id/corrections',
    tag: 'health',
    access: 'teacher',
    summary: 'Correct a check: a new record supersedes it; the old one stays, with who, when and why.',
    body: Type.Object(
      {
        reason: Type.String({ minLength: 1, maxLength: 300 }),
        symptoms: Type.Optional(Symptoms),
        notes: Type.Optional(Type.String({ maxLength: 500 })),
        result: Type.Optional(StringEnum(['normal', 'symptoms', 'fever-pending', 'fever-cleared', 'fever-confirmed'] as const)),
      },
      { additionalProperties: false },
    ),
    response: Type.Unknown(),
    status: 201,
    handler: (req, ctx) => {
      const { reason, ...change } = req.body;
      return ctx.health.correctCheck(Number(req.params.id), change, reason, actor(req));
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/health/absences',
    tag: 'health',
    access: 'teacher',
    summary: 'Record why a student is absent; an absence for illness records symptoms and onset for follow-up.',
    body: Type.Object(
      { studentId: Type.Integer({ minimum: 1 }), day: Type.Optional(Day), reason: StringEnum(ABSENCE_REASONS), symptoms: Type.Optional(Symptoms), onsetDay: Type.Optional(Day) },
      { additionalProperties: false },
    ),
    response: Type.Unknown(),
    status: 201,
    handler: (req, ctx) => ctx.health.recordAbsence(req.body, actor(req)),
  }),
  route({
    method: 'post',
    path: '/api/v1/health/absences/:id/follow-up',
    tag: 'health',
    access: 'teacher',
    summary: 'Add a follow-up note to an absence, and the day the student returned.',
    body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 500 }), returnedDay: Type.Optional(Day) }, { additionalProperties: false }),
    response: Type.Unknown(),
    handler: (req, ctx) => ctx.health.followUp(Number(req.params.id), req.body.note, req.body.returnedDay, actor(req)),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/alerts',
    tag: 'health',
    access: 'teacher',
    summary: 'Class-level outbreak signals raised on this appliance (report within 24 h).',
    response: Type.Array(Type.Unknown()),
    handler: (_req, ctx) => ctx.health.alerts(),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/report',
    tag: 'health',
    access: 'teacher',
    summary: 'Daily per-class summary: checked, fever, symptoms, absences by reason.',
    query: ClassDay,
    response: Type.Unknown(),
    handler: (req, ctx) => dailyReport(ctx.health, req.query.classId ?? ctx.health.defaultClass(), req.query.day ?? ctx.health.today()),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/report.csv',
    tag: 'health',
    access: 'teacher',
    summary: 'The daily report as CSV (UTF-8 with BOM, opens in Excel).',
    query: ClassDay,
    response: Type.String(),
    handler: (req, ctx) => exportReport(req, ctx, 'csv'),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/report.html',
    tag: 'health',
    access: 'teacher',
    summary: 'The daily report as a printable page.',
    query: ClassDay,
    response: Type.String(),
    handler: (req, ctx) => exportReport(req, ctx, 'html'),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/students',
    tag: 'health',
    access: 'admin',
    summary: 'The roster (names, numbers, cards; no health data). Open one student for the record.',
    response: Type.Array(Type.Object({ id: Type.Integer(), classId: Type.String(), studentNo: Type.String(), name: Type.String(), cardId: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean() })),
    handler: (_req, ctx) => ctx.store.roster.list(),
  }),
  route({
    method: 'get',
    path: '/api/v1/health/students/:id',
    tag: 'health',
    access: 'admin',
    summary: "A student's record (roster entry, every check with corrections, absences). Every read is audit-logged.",
    response: StudentRecord,
    handler: (req, ctx): Static<typeof StudentRecord> => {
      const r = ctx.health.record(Number(req.params.id));
      ctx.store.audit.record({ actor: actor(req), action: 'health.read-student', target: r.student.pseudonym, result: 'ok' });
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
        absences: r.absences.map((a) => ({ day: a.day, reason: a.reason, symptoms: JSON.stringify(a.symptoms), returned_day: a.returnedDay })),
      };
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/health/roster',
    tag: 'health',
    access: 'admin',
    summary: "Import the district's roster CSV (base64). Bad rows are reported by line and field; a bad file changes nothing.",
    body: Type.Object({ csvBase64: Type.String({ maxLength: 8_000_000 }) }, { additionalProperties: false }),
    response: Type.Object({ classes: Type.Integer(), students: Type.Integer(), deactivated: Type.Integer(), encoding: Type.String() }),
    handler: (req, ctx) => {
      const { rows, encoding } = parseRoster(Buffer.from(req.body.csvBase64, 'base64'));
      const r = importRoster(ctx.store, rows);
      ctx.store.audit.record({ actor: actor(req), action: 'health.roster-import', result: 'ok', detail: { ...r } });
      return { ...r, encoding };
    },
  }),
];

