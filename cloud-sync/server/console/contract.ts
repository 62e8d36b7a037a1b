import { Type, type Static } from '@sinclair/typebox';

/**
 * The district console's API (`/console/api/v1`): one TypeBox schema per request and answer. The
 * routes check requests against them; `test/district/console-contract.test.ts` calls every route
 * and checks every answer, as the appliance's contract test does for its API.
 */

const Text = (description: string, maxLength = 200) => Type.String({ maxLength, description });

// Imports nothing but TypeBox: the console's pages import this file's types (ui-kiosk/src/district).
export const CONSOLE_ROLES = ['district-it', 'school-it', 'health', 'research', 'environment'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** A component as the appliance's last heartbeat reported it (protocol.ts HeartbeatComponent). */
export const ConsoleComponent = Type.Object({
  name: Text('the component'),
  kind: Text('its kind'),
  state: Text('stopped, starting, running, degraded, failed or stopping', 40),
  detail: Type.Optional(Text('what is wrong, when it is', 300)),
});
const Ms = (description: string) => Type.Integer({ minimum: 0, description });

export const ConsoleRoleSchema = Type.Union(
  CONSOLE_ROLES.map((r) => Type.Literal(r)),
  { description: 'district-it, school-it, health, research or environment' },
);

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const Me = Type.Object({
  username: Text('the account'),
  role: ConsoleRoleSchema,
  school: Text("the account's school; '' for every school"),
});
export type Me = Static<typeof Me>;

export const ConsoleError = Type.Object({
  error: Text('a stable code'),
  message: Text('what was wrong, for a person', 1000),
  lockedUntil: Type.Optional(Ms('when the account may try again (ms)')),
});
export type ConsoleError = Static<typeof ConsoleError>;

export const FleetQuery = Type.Object(
  {
    school: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('problem')])),
    search: Type.Optional(Type.String({ maxLength: 200 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type FleetQuery = Static<typeof FleetQuery>;

export const FleetStream = Type.Object({
  stream: Text('the stream'),
  committedSeq: Type.Integer({ minimum: 0, description: "the district's committed position" }),
  backlog: Type.Integer({ minimum: 0, description: 'records waiting on the appliance (its last heartbeat)' }),
  lagS: Type.Number({ minimum: 0, description: 'seconds the district is behind (0 with nothing waiting)' }),
  quarantined: Type.Integer({ minimum: 0, description: 'records the district refused, held on the appliance' }),
});

export const FleetItem = Type.Object({
  id: Text('the appliance id'),
  school: Text('the school it was enrolled for'),
  classroom: Text('where the box says it is: its name, grade, class and room'),
  online: Type.Boolean({ description: 'a heartbeat within the offline silence' }),
  lastHeartbeat: Type.Union([Ms('when the last heartbeat arrived'), Type.Null()]),
  lastSeen: Type.Union([Ms('when anything last came from it'), Type.Null()]),
  version: Type.Union([Text('software version'), Type.Null()]),
  uptimeS: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  components: Type.Array(ConsoleComponent),
  problems: Type.Integer({ minimum: 0, description: 'components neither running nor stopped' }),
  diskFreeBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  diskTotalBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  flashBytesPerDay: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  flashLifeUsedPercent: Type.Union([Type.Integer({ minimum: 0, maximum: 110 }), Type.Null()]),
  lagS: Type.Number({ minimum: 0, description: 'the largest lag of its streams' }),
  quarantined: Type.Integer({ minimum: 0 }),
  clockSkewMs: Type.Union([Type.Integer(), Type.Null()]),
  configVersion: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  streams: Type.Array(FleetStream),
});
export type FleetItem = Static<typeof FleetItem>;

export const FleetAnswer = Type.Object({
  now: Ms("the district's clock"),
  offlineAfterS: Type.Integer({ minimum: 1 }),
  schools: Type.Array(Text('a school in scope')),
  counts: Type.Object({
    total: Type.Integer({ minimum: 0 }),
    online: Type.Integer({ minimum: 0 }),
    offline: Type.Integer({ minimum: 0 }),
    problem: Type.Integer({ minimum: 0 }),
  }),
  /** Appliances matching the query (before paging). */
  matching: Type.Integer({ minimum: 0 }),
  appliances: Type.Array(FleetItem),
});
export type FleetAnswer = Static<typeof FleetAnswer>;

export const ApplianceHistoryEntry = Type.Object({
  at: Ms('when the heartbeat arrived'),
  version: Text('software version'),
  notRunning: Type.Array(Text('a component and its state', 300)),
  diskFreeBytes: Type.Integer({ minimum: 0 }),
  lagS: Type.Number({ minimum: 0 }),
});

/** What the district knows of an appliance and a rollout: offered, then what it reported. */
export const ROLLOUT_STATES = ['offered', 'downloading', 'installing', 'installed', 'rolled-back', 'failed'] as const;

/** An appliance's fleet updates, newest first. */
export const ApplianceUpdate = Type.Object({
  rolloutId: Type.Integer({ minimum: 1 }),
  state: Type.Union(ROLLOUT_STATES.map((s) => Type.Literal(s))),
  version: Text('the version it runs after it (installed) or went back to (rolled back)'),
  detail: Text('what the appliance said', 300),
  changedAt: Ms('when it last changed'),
});

export const ApplianceAnswer = Type.Object({
  appliance: FleetItem,
  history: Type.Array(ApplianceHistoryEntry),
  updates: Type.Array(ApplianceUpdate),
});
export type ApplianceAnswer = Static<typeof ApplianceAnswer>;

const DayText = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a day, YYYY-MM-DD' });
const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const HealthQuery = Type.Object(
  {
    from: Type.Optional(DayText),
    to: Type.Optional(DayText),
    school: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type HealthQuery = Static<typeof HealthQuery>;

/** One class-day of WS/T 772-2020 school symptom surveillance, from the class's daily report. */
export const HealthDay = Type.Object({
  applianceId: Text('the classroom appliance that reported'),
  school: Text('its school'),
  classId: Text('the class'),
  className: Text('its name'),
  day: DayText,
  enrolled: Count('students on the roster'),
  checked: Count('students checked at the door'),
  completion: Type.Number({ minimum: 0, maximum: 1, description: 'checked / enrolled' }),
  fever: Type.Object({
    pending: Count('to re-measure'),
    cleared: Count('normal on re-measure'),
    confirmed: Count('fever'),
  }),
  withSymptoms: Count('students checked with a symptom'),
  symptoms: Type.Record(Type.String(), Count('students with it'), { description: 'WS/T 772 symptoms, counted' }),
  absent: Type.Object({
    illness: Count('absent for illness'),
    personal: Count('personal reasons'),
    other: Count('other reasons'),
    unknown: Count('reason not known'),
    unexplained: Count('no check and no absence recorded'),
  }),
  illnessAbsenceRate: Type.Number({ minimum: 0, maximum: 1, description: 'absent for illness / enrolled' }),
  zeroReport: Type.Boolean({ description: 'a report of no case: no fever, no symptom, no absence for illness' }),
  reportedAt: Ms('when the appliance made the report'),
});
export type HealthDay = Static<typeof HealthDay>;

export const HealthDaysAnswer = Type.Object({
  from: DayText,
  to: DayText,
  days: Type.Array(HealthDay),
  /** Weekdays in the range on which a class that reported in it sent no report. */
  missing: Type.Array(
    Type.Object({
      applianceId: Text('appliance'),
      school: Text('school'),
      classId: Text('class'),
      className: Text('name'),
      day: DayText,
    }),
  ),
});
export type HealthDaysAnswer = Static<typeof HealthDaysAnswer>;

export const SignalNote = Type.Object({ username: Text('who'), at: Ms('when'), note: Text('what', 1000) });

export const HealthSignal = Type.Object({
  applianceId: Text('the appliance that raised it'),
  school: Text('its school'),
  signalId: Text("the appliance's id of the signal"),
  classId: Text('the class'),
  rule: Text('the rule that fired, e.g. similar-3-in-1-day'),
  category: Text('the symptom category'),
  firstDay: DayText,
  lastDay: DayText,
  cases: Count('cases'),
  pseudonyms: Type.Array(Text('a student pseudonym (never a name)')),
  raisedAt: Ms('when the appliance raised it'),
  reportedAt: Type.Union([Ms('when the school reported it'), Type.Null()]),
  acknowledged: Type.Union([Type.Object({ username: Text('who'), at: Ms('when') }), Type.Null()]),
  notes: Type.Array(SignalNote),
});
export type HealthSignal = Static<typeof HealthSignal>;

export const SignalsAnswer = Type.Object({ since: DayText, signals: Type.Array(HealthSignal) });
export type SignalsAnswer = Static<typeof SignalsAnswer>;

export const SignalNoteRequest = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);
export type SignalNoteRequest = Static<typeof SignalNoteRequest>;

const Share = (description: string) => Type.Union([Type.Number({ minimum: 0, maximum: 1, description }), Type.Null()]);
const Maybe = (description: string) => Type.Union([Type.Number({ description }), Type.Null()]);

/** Lessons of one school and grade: aggregates only, never a teacher. */
export const LessonGroup = Type.Object({
  school: Text('the school'),
  grade: Text("the classrooms' grade ('' when the box gives none)"),
  lessons: Count('lessons in the range'),
  /** False when fewer than MIN_GROUP lessons: the figures are left out, so a group cannot stand for one teacher. */
  shown: Type.Boolean(),
  teacherTalkShare: Share("the teacher's share of talk time, mean over lessons"),
  rt: Share('Rt (teacher-behaviour share of S-T coding), mean'),
  ch: Share('Ch (conversion rate), mean'),
  modes: Type.Object({
    lecture: Share('share of lessons in 讲授 mode'),
    practice: Share('练习'),
    dialogue: Share('对话'),
    mixed: Share('混合'),
  }),
  questioned: Count('lessons with questioning figures'),
  wt1MedianS: Maybe('median over lessons of the median wait time 1 (s)'),
  wt1AtLeast3sShare: Share('mean share of wait time 1 of at least 3 s'),
  wt2MedianS: Maybe('median over lessons of the median wait time 2 (s)'),
  episodesPer10Min: Maybe('question-and-answer episodes per 10 minutes, mean'),
  headUpMean: Share('head-up rate, mean'),
});
export type LessonGroup = Static<typeof LessonGroup>;

export const LessonGroupsAnswer = Type.Object({
  from: DayText,
  to: DayText,
  minGroup: Type.Integer({ minimum: 1, description: 'groups with fewer lessons show only their count' }),
  groups: Type.Array(LessonGroup),
});
export type LessonGroupsAnswer = Static<typeof LessonGroupsAnswer>;

/** A rollout of an update bundle to a ring (docs/fleet-updates.md), as the fleet reports it. */
export const RolloutItem = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  version: Text('the version the bundle installs'),
  bundle: Type.String({ pattern: '^[0-9a-f]{64}$', description: "the bundle's SHA-256" }),
  size: Type.Integer({ minimum: 0, description: 'bytes each appliance downloads' }),
  ring: Text('pilot, school:<name>, all or list:<ids>', 2000),
  window: Type.Union([Type.Object({ from: Text('HH:MM', 5), to: Text('HH:MM', 5) }), Type.Null()], {
    description: 'local time on each appliance; null: any time outside lessons',
  }),
  maxFailureShare: Type.Number({ minimum: 0, maximum: 1 }),
  state: Type.Union([Type.Literal('active'), Type.Literal('halted'), Type.Literal('done')]),
  reason: Text('why it halted or is done', 1000),
  createdAt: Ms('when it was created'),
  ringSize: Count("appliances in the ring now (for a school's account: that school's)"),
  counts: Type.Object(
    Object.fromEntries(ROLLOUT_STATES.map((s) => [s, Count(`appliances whose last report is ${s}`)])) as Record<
      (typeof ROLLOUT_STATES)[number],
      ReturnType<typeof Count>
    >,
  ),
});
export type RolloutItem = Static<typeof RolloutItem>;

export const RolloutsAnswer = Type.Object({
  /** Whether this account may halt a rollout (district IT). */
  mayHalt: Type.Boolean(),
  rollouts: Type.Array(RolloutItem),
});
export type RolloutsAnswer = Static<typeof RolloutsAnswer>;

export const RolloutHaltRequest = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);
export type RolloutHaltRequest = Static<typeof RolloutHaltRequest>;
export const EnvironmentQuery = Type.Object(
  {
    day: Type.Optional(DayText),
    from: Type.Optional(DayText),
    to: Type.Optional(DayText),
    school: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type EnvironmentQuery = Static<typeof EnvironmentQuery>;

/** Lesson minutes of a quantity judged against its limit: how many had data, how many were over. */
const Exposure = (description: string) =>
  Type.Object(
    {
      minutesWithData: Count('lesson minutes with a reading'),
      minutesOver: Count('of those, minutes over the limit'),
      share: Share('minutesOver / minutesWithData; null without data'),
    },
    { description },
  );

/** The CO₂ share's colour on the page: green below 5 %, amber 5-20 %, red above 20 %, none without data. */
export const EnvironmentBand = Type.Union(
  [Type.Literal('green'), Type.Literal('amber'), Type.Literal('red'), Type.Literal('none')],
  { description: "the CO₂ share's band" },
);

/** A classroom's or a school's exposure during lessons over one period (a day, or the term). */
export const EnvironmentFigures = Type.Object({
  days: Count('school days with a summary'),
  lessonMinutes: Count('lesson minutes of those days'),
  co2: Exposure('CO₂: the 1-hour average over the limit (1000 ppm by default)'),
  pm25: Exposure('PM2.5: its rolling average over the limit (24 h, 50 µg/m³ by default)'),
  light: Exposure('desk illuminance below its minimum (300 lx by default)'),
  noise: Type.Object(
    {
      minutesWithData: Count('lesson minutes with a reading'),
      meanDba: Maybe('mean level during lessons, dB(A)'),
      maxDba: Maybe('highest level during lessons, dB(A)'),
    },
    { description: 'a level, not judged: GB 50118 is a limit for the empty room' },
  ),
  band: EnvironmentBand,
});
export type EnvironmentFigures = Static<typeof EnvironmentFigures>;

export const EnvironmentClassroom = Type.Object({
  applianceId: Text('the classroom appliance'),
  grade: Text("its grade ('' when the box gives none)"),
  klass: Text("its class ('' when the box gives none)"),
  room: Text("its room ('' when the box gives none)"),
  name: Text("the box's name ('' when none)"),
  today: EnvironmentFigures,
  term: EnvironmentFigures,
});
export type EnvironmentClassroom = Static<typeof EnvironmentClassroom>;

export const EnvironmentSchool = Type.Object({
  school: Text('the school'),
  /** Over its classrooms: the sums of their minutes (a share is of all its minutes with data). */
  today: EnvironmentFigures,
  term: EnvironmentFigures,
  classrooms: Type.Array(EnvironmentClassroom),
});
export type EnvironmentSchool = Static<typeof EnvironmentSchool>;

export const EnvironmentAnswer = Type.Object({
  day: DayText,
  from: DayText,
  to: DayText,
  bands: Type.Object({
    amberFrom: Type.Number({ minimum: 0, maximum: 1, description: 'a CO₂ share from this is amber' }),
    redAbove: Type.Number({ minimum: 0, maximum: 1, description: 'a CO₂ share above this is red' }),
  }),
  skipped: Count('daily summaries left out because they do not have the expected shape'),
  schools: Type.Array(EnvironmentSchool),
});
export type EnvironmentAnswer = Static<typeof EnvironmentAnswer>;

/** Every route of the console's API: the contract test calls each. */
export const CONSOLE_ROUTES = [
  'POST /console/api/v1/login',
  'POST /console/api/v1/logout',
  'GET /console/api/v1/me',
  'GET /console/api/v1/fleet',
  'GET /console/api/v1/appliances/:id',
  'GET /console/api/v1/health/days',
  'GET /console/api/v1/health/signals',
  'POST /console/api/v1/health/signals/:appliance/:signal/notes',
  'GET /console/api/v1/research/lessons',
  'GET /console/api/v1/rollouts',
  'POST /console/api/v1/rollouts/:id/halt',
  'GET /console/api/v1/environment',
] as const;
