import { Type, type TSchema } from '@sinclair/typebox';
import { StringEnum } from '../../config/string-enum.js';
import { SYMPTOMS, ABSENCE_REASONS } from '../../health/symptoms.js';
import { HealthAlertEvent } from '../../messages.js';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { CONSENT_STATUSES } from '../../health/consent.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Symptom = StringEnum(SYMPTOMS);
const Symptoms = Type.Array(Symptom, { maxItems: SYMPTOMS.length });
const ClassDay = Type.Object(
  { classId: Type.Optional(Type.String({ maxLength: 32 })), day: Type.Optional(Day) },
  { additionalProperties: false },
);

/** The printable report's words: Chinese, or English (default: the kiosk's default language). */
const ReportQuery = Type.Object(
  {
    classId: Type.Optional(Type.String({ maxLength: 32 })),
    day: Type.Optional(Day),
    lang: Type.Optional(StringEnum(['zh-CN', 'en'] as const)),
  },
  { additionalProperties: false },
);

export const CHECK_RESULTS = ['normal', 'symptoms', 'fever-pending', 'fever-cleared', 'fever-confirmed'] as const;

export const CheckBody = Type.Object({
  id: Type.Integer(),
  studentId: Type.Integer(),
  day: Type.String(),
  checkedAt: Type.Integer(),
  tempRawC: Nullable(Type.Number()),
  ambientC: Nullable(Type.Number()),
  tempC: Nullable(Type.Number({ description: 'The compensated temperature.' })),
  compensation: Nullable(Type.String()),
  symptoms: Type.Array(Symptom),
  notes: Type.String(),
  result: StringEnum(CHECK_RESULTS),
  remeasureOf: Nullable(Type.Integer()),
  recordedBy: Type.String(),
  corrects: Nullable(Type.Integer()),
  correctionReason: Nullable(Type.String()),
  supersededBy: Nullable(Type.Integer()),
});

export const AbsenceBody = Type.Object({
  id: Type.Integer(),
  studentId: Type.Integer(),
  day: Type.String(),
  reason: StringEnum(ABSENCE_REASONS),
  symptoms: Type.Array(Symptom),
  onsetDay: Nullable(Type.String()),
  returnedDay: Nullable(Type.String()),
  followUp: Type.Array(Type.Object({ at: Type.Integer(), by: Type.String(), note: Type.String() })),
});

export const StudentDayBody = Type.Object({
  studentId: Type.Integer(),
  studentNo: Type.String(),
  name: Type.String(),
  cardId: Nullable(Type.String()),
  check: Nullable(CheckBody),
  remeasureDueAt: Nullable(
    Type.Integer({ description: 'When a fever must be measured again (ms), while the first reading waits for it.' }),
  ),
  absence: Nullable(AbsenceBody),
  status: StringEnum([...CHECK_RESULTS, 'absent', 'unchecked'] as const),
});

export const DailyReportBody = Type.Object({
  classId: Type.String(),
  className: Type.String(),
  day: Type.String(),
  enrolled: Type.Integer(),
  checked: Type.Integer(),
  fever: Type.Object({ pending: Type.Integer(), cleared: Type.Integer(), confirmed: Type.Integer() }),
  withSymptoms: Type.Integer(),
  symptoms: Type.Record(Type.String(), Type.Integer(), {
    description: 'Students with each symptom (symptoms nobody has are left out).',
  }),
  absent: Type.Object({
    illness: Type.Integer(),
    personal: Type.Integer(),
    other: Type.Integer(),
    unknown: Type.Integer(),
    unexplained: Type.Integer(),
  }),
  students: Type.Array(
    Type.Object({
      studentNo: Type.String(),
      name: Type.String(),
      status: Type.String(),
      tempC: Nullable(Type.Number()),
      symptoms: Type.Array(Symptom),
      absence: Nullable(Type.String()),
    }),
  ),
});

/**
 * What the admin screen's record view shows (ui-kiosk/src/screens/admin/students.tsx), in the field
 * names and encodings it reads: no guardian phone, card, pseudonym, notes or raw temperatures.
 * The store change of issue 18 (point 1) answers this; until its route is merged, the endpoint below
 * still declares the rows as stored.
 */
export const StudentRecordBody = Type.Object({
  student: Type.Object({
    id: Type.Integer(),
    class_id: Type.String(),
    student_no: Type.String(),
    name: Type.String(),
    active: Type.Boolean(),
  }),
  checks: Type.Array(
    Type.Object({
      id: Type.Integer(),
      day: Day,
      result: Type.String(),
      temp_compensated: Nullable(Type.Number()),
      symptoms: Type.String({ description: 'JSON array of symptom codes' }),
      recorded_by: Type.String(),
      correction_reason: Nullable(Type.String()),
      superseded_by: Nullable(Type.Integer()),
    }),
  ),
  absences: Type.Array(
    Type.Object({
      day: Day,
      reason: Type.String(),
      symptoms: Type.String({ description: 'JSON array of symptom codes' }),
      returned_day: Nullable(Type.String()),
    }),
  ),
});

export const MeasuredBody = Type.Object({
  station: Type.String(),
  objectC: Type.Number(),
  ambientC: Type.Number(),
  compensatedC: Type.Number(),
  method: Type.String(),
  at: Type.Integer(),
});

export const healthEndpoints = {
  'GET /api/v1/health/classes': {
    response: Type.Object({
      default: Nullable(Type.String()),
      classes: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), students: Type.Integer() })),
    }),
  },
  'GET /api/v1/health/day': { query: ClassDay, response: Type.Array(StudentDayBody) },
  'POST /api/v1/health/measure': {
    body: Type.Object({ station: Type.Optional(Type.String()) }, { additionalProperties: false }),
    response: MeasuredBody,
  },
  'POST /api/v1/health/checks': {
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
    response: CheckBody,
  },
  'POST /api/v1/health/checks/:id/corrections': {
    body: Type.Object(
      {
        reason: Type.String({ minLength: 1, maxLength: 300 }),
        symptoms: Type.Optional(Symptoms),
        notes: Type.Optional(Type.String({ maxLength: 500 })),
        result: Type.Optional(StringEnum(CHECK_RESULTS)),
      },
      { additionalProperties: false },
    ),
    response: CheckBody,
  },
  'POST /api/v1/health/absences': {
    body: Type.Object(
      {
        studentId: Type.Integer({ minimum: 1 }),
        day: Type.Optional(Day),
        reason: StringEnum(ABSENCE_REASONS),
        symptoms: Type.Optional(Symptoms),
        onsetDay: Type.Optional(Day),
      },
      { additionalProperties: false },
    ),
    response: AbsenceBody,
  },
  'POST /api/v1/health/absences/:id/follow-up': {
    body: Type.Object(
      { note: Type.String({ minLength: 1, maxLength: 500 }), returnedDay: Type.Optional(Day) },
      { additionalProperties: false },
    ),
    response: AbsenceBody,
  },
  'GET /api/v1/health/alerts': { response: Type.Array(HealthAlertEvent) },
  'POST /api/v1/health/alerts/:id/reported': { response: HealthAlertEvent },
  'GET /api/v1/health/report': { query: ClassDay, response: DailyReportBody },
  'POST /api/v1/health/report/printed': {
    body: ClassDay,
    response: Type.Object({ classId: Type.String(), day: Type.String() }),
  },
  'GET /api/v1/health/report.csv': { query: ClassDay, response: Type.String(), raw: 'text/csv' },
  'GET /api/v1/health/report.html': { query: ReportQuery, response: Type.String(), raw: 'text/html' },
  'GET /api/v1/health/students': {
    response: Type.Array(
      Type.Object({
        id: Type.Integer(),
        classId: Type.String(),
        studentNo: Type.String(),
        name: Type.String(),
        cardId: Nullable(Type.String()),
        active: Type.Boolean(),
      }),
    ),
  },
  'GET /api/v1/health/students/:id': { response: StudentRecordBody },
  'POST /api/v1/health/roster': {
    body: Type.Object({ csvBase64: Type.String({ maxLength: 8_000_000 }) }, { additionalProperties: false }),
    response: Type.Object({
      classes: Type.Integer(),
      students: Type.Integer(),
      deactivated: Type.Integer(),
      consents: Type.Integer({ description: "Guardian consents taken from the file's guardian_consent column." }),
      encoding: Type.String(),
    }),
  },
  'PUT /api/v1/health/students/:id/consent': {
    body: Type.Object(
      { status: StringEnum(CONSENT_STATUSES) },
      {
        additionalProperties: false,
        description: "What the guardian said, as the school recorded it (the guardian's form).",
      },
    ),
    response: Type.Object({
      studentId: Type.Integer(),
      status: StringEnum([...CONSENT_STATUSES, 'unknown'] as const),
      source: Nullable(StringEnum(['roster', 'school'] as const)),
      recordedAt: Nullable(Type.Integer()),
      recordedBy: Nullable(Type.String()),
    }),
  },
} satisfies Record<EndpointKey, Endpoint>;
