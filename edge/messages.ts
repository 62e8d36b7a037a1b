import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The one typed message map. MQTT payloads, WebSocket frames and the kiosk's types all come from
 * here, so there is one API, not three. docs/mqtt.md documents the same map.
 */

// ---- Device -> appliance (MQTT, topic classedge/dev/<deviceId>/<kind>) -------------------------

export const ReadingPayload = Type.Object(
  {
    ts: Type.Optional(
      Type.Union([Type.Integer({ minimum: 946684800000, maximum: 4102444800000 }), Type.String({ minLength: 10, maxLength: 40 })], {
        description: 'When measured: ms since the epoch or ISO 8601. Omitted: the time it arrived.',
      }),
    ),
    metrics: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), Type.Number(), {
      minProperties: 1,
      maxProperties: 32,
      description: 'Measured values by metric name, e.g. {"co2_ppm": 640}.',
    }),
  },
  { additionalProperties: false },
);
export type ReadingPayload = Static<typeof ReadingPayload>;

export const DeviceStatusPayload = Type.Union([Type.Literal('online'), Type.Literal('offline')]);

/** A card reader at the door: which card was tapped. */
export const CardPayload = Type.Object({ card: Type.String({ pattern: '^[0-9A-Fa-f]{4,32}$' }) }, { additionalProperties: false });

/** Kinds a device may publish under its prefix. Later issues add theirs here. */
export const DEVICE_MESSAGE_KINDS = ['reading', 'status', 'card', 'snapshot'] as const;
export type DeviceMessageKind = (typeof DEVICE_MESSAGE_KINDS)[number];

// ---- Appliance -> people and tools (WebSocket /api/v1/live, MQTT classedge/appliance/...) -------

export const ReadingEvent = Type.Object({
  deviceId: Type.String(),
  ts: Type.Integer(),
  /** When the appliance received it (its own clock). */
  receivedAt: Type.Integer(),
  metrics: Type.Record(Type.String(), Type.Number()),
});

export const ComponentStateEvent = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  detail: Type.Optional(Type.String()),
});

export const RejectedEvent = Type.Object({
  deviceId: Type.String(),
  topic: Type.String(),
  reason: Type.String(),
  field: Type.Optional(Type.String()),
});

export const DeviceConnectionEvent = Type.Object({
  deviceId: Type.String(),
  connected: Type.Boolean(),
});

export const ModbusFrameEvent = Type.Object({
  bus: Type.String(),
  dir: Type.Union([Type.Literal('tx'), Type.Literal('rx')]),
  hex: Type.String(),
  at: Type.Integer(),
  error: Type.Optional(Type.String()),
});

export const EnvAlertEvent = Type.Object({
  id: Type.Integer(),
  ruleId: Type.String(),
  metric: Type.String(),
  level: Type.Union([Type.Literal('warn'), Type.Literal('alert')]),
  window: Type.String(),
  direction: Type.Union([Type.Literal('high'), Type.Literal('low')]),
  threshold: Type.Number(),
  advice: Type.Optional(Type.String()),
  startedAt: Type.Integer(),
  endedAt: Type.Optional(Type.Integer()),
  peak: Type.Number(),
  value: Type.Number(),
  state: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
});

export const DisplayStateEvent = Type.Object({
  name: Type.String(),
  power: Type.String(),
  source: Type.String(),
  volume: Type.Union([Type.Number(), Type.Null()]),
  mute: Type.Union([Type.Boolean(), Type.Null()]),
  brightness: Type.Union([Type.Number(), Type.Null()]),
  eyeCare: Type.Union([Type.Boolean(), Type.Null()]),
  pending: Type.Record(Type.String(), Type.Union([Type.Boolean(), Type.Number(), Type.String()])),
  reachable: Type.Boolean(),
  lastError: Type.Optional(Type.String()),
});

export const DisplayReminderEvent = Type.Object({
  name: Type.String(),
  lesson: Type.Integer({ description: 'Index of the lesson in today\'s timetable.' }),
  share: Type.Number({ description: 'Share of the lesson the screen has been on so far.' }),
  limit: Type.Number(),
});

export const CardReadEvent = Type.Object({ deviceId: Type.String(), card: Type.String() });
export const TemperatureEvent = Type.Object({ station: Type.String(), objectC: Type.Number(), ambientC: Type.Number(), at: Type.Integer() });
export const IdentifiedEvent = Type.Object({
  studentId: Type.Integer(),
  name: Type.String(),
  classId: Type.String(),
  via: Type.String({ description: 'The card reader.' }),
});
export const HealthAlertEvent = Type.Object({
  id: Type.Integer(),
  classId: Type.String(),
  rule: Type.String(),
  category: Type.String(),
  firstDay: Type.String(),
  lastDay: Type.String(),
  cases: Type.Integer(),
});

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A lesson's figures so far (or final): counts and durations only. */
export const LessonEvent = Type.Object({
  id: Type.Integer(),
  day: Type.String(),
  startedAt: Type.Integer(),
  endedAt: Nullable(Type.Integer()),
  source: Type.Union([Type.Literal('timetable'), Type.Literal('teacher')]),
  sampleIntervalS: Type.Integer(),
  codes: Type.String({ description: 'The S-T sequence so far, one letter per coded interval.' }),
  teacherTalkS: Type.Number(),
  studentTalkS: Type.Number(),
  turns: Type.Integer(),
  rt: Nullable(Type.Number()),
  ch: Nullable(Type.Number()),
  mode: Nullable(Type.String()),
  headUpMean: Nullable(Type.Number()),
  framesAnalysed: Type.Integer(),
  framesDropped: Type.Integer(),
});
export const LessonStateEvent = Type.Object({ lesson: Nullable(LessonEvent) });
export const LessonSampleEvent = Type.Object({
  lessonId: Type.Integer(),
  idx: Type.Integer(),
  at: Type.Integer(),
  code: Nullable(Type.Union([Type.Literal('T'), Type.Literal('S')])),
  teacherS: Type.Number(),
  studentS: Type.Number(),
  faces: Nullable(Type.Integer()),
  present: Nullable(Type.Integer()),
  headUp: Nullable(Type.Number()),
});
/** Every couple of seconds during a lesson: the talk-time bar and the current head count move. */
export const LessonLiveEvent = Type.Object({
  lessonId: Type.Integer(),
  elapsedS: Type.Number(),
  teacherS: Type.Number(),
  studentS: Type.Number(),
  speaking: Nullable(Type.Union([Type.Literal('teacher'), Type.Literal('student')])),
  faces: Nullable(Type.Integer()),
  present: Type.Integer(),
  headUp: Nullable(Type.Number()),
  framesDropped: Type.Integer(),
  codes: Type.String(),
  rt: Nullable(Type.Number()),
  ch: Nullable(Type.Number()),
  mode: Nullable(Type.String()),
  turns: Type.Integer(),
});
export const CaptureEvent = Type.Object({
  active: Type.Boolean(),
  until: Nullable(Type.Integer()),
  by: Nullable(Type.String()),
});

/** Every live event: name -> payload. The WebSocket frame is `{ "type": name, "data": payload }`. */
export const LiveEventSchemas = {
  reading: ReadingEvent,
  'component.state': ComponentStateEvent,
  'ingest.rejected': RejectedEvent,
  'device.connection': DeviceConnectionEvent,
  'modbus.frame': ModbusFrameEvent,
  'env.alert': EnvAlertEvent,
  'display.state': DisplayStateEvent,
  'display.reminder': DisplayReminderEvent,
  'card.read': CardReadEvent,
  'health.temperature': TemperatureEvent,
  'health.identified': IdentifiedEvent,
  'health.alert': HealthAlertEvent,
  'lesson.state': LessonStateEvent,
  'lesson.sample': LessonSampleEvent,
  'lesson.live': LessonLiveEvent,
  'analysis.capture': CaptureEvent,
} as const;

export type LiveEvents = { [K in keyof typeof LiveEventSchemas]: Static<(typeof LiveEventSchemas)[K]> };
export type LiveEventName = keyof LiveEvents;
export type LiveFrame = { [K in LiveEventName]: { type: K; data: LiveEvents[K] } }[LiveEventName];

/** Which roles may receive which live event. */
export const LIVE_EVENT_ROLES: Record<LiveEventName, readonly ('admin' | 'teacher')[]> = {
  reading: ['admin', 'teacher'],
  'component.state': ['admin', 'teacher'],
  'ingest.rejected': ['admin'],
  'device.connection': ['admin'],
  'modbus.frame': ['admin'],
  'env.alert': ['admin', 'teacher'],
  'display.state': ['admin', 'teacher'],
  'display.reminder': ['admin', 'teacher'],
  // A card number alone identifies nobody on the wire, but it stays with admins.
  'card.read': ['admin'],
  'health.temperature': ['admin', 'teacher'],
  'health.identified': ['admin', 'teacher'],
  'health.alert': ['admin', 'teacher'],
  'lesson.state': ['admin', 'teacher'],
  'lesson.sample': ['admin', 'teacher'],
  'lesson.live': ['admin', 'teacher'],
  'analysis.capture': ['admin', 'teacher'],
};
