import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { WHY_CODES } from './room/why.js';
import { CLUSTER_RULES, SIGNAL_CATEGORIES } from './health/symptoms.js';

/**
 * The one typed message map. MQTT payloads, WebSocket frames and the kiosk's types all come from
 * here, so there is one API, not three. docs/mqtt.md documents the same map.
 */

// ---- Closed vocabularies: the kiosk turns each value into a translated word, so a value the
// kiosk has no word for must fail the type check here rather than show a raw key on the panel.

export const COMPONENT_STATES = ['stopped', 'starting', 'running', 'degraded', 'failed', 'stopping'] as const;
export const ADVICE = ['ventilate', 'purify', 'heat', 'cool', 'humidify', 'dehumidify', 'lights'] as const;
export const PANEL_POWER = ['on', 'off', 'unknown'] as const;
export const TEACHING_MODES = ['lecture', 'practice', 'dialogue', 'mixed'] as const;

function OneOf<T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v as T[number])));
}

// ---- Device -> appliance (MQTT, topic classedge/dev/<deviceId>/<kind>) -------------------------

export const ReadingPayload = Type.Object(
  {
    ts: Type.Optional(
      Type.Union(
        [
          // From 2020-01-01 (EARLIEST_RECORD_MS); the upper end is the appliance's clock, checked by decodeReading.
          Type.Integer({ minimum: 1577836800000, maximum: 4102444800000 }),
          Type.String({ minLength: 10, maxLength: 40 }),
        ],
        {
          description: 'When measured: ms since the epoch or ISO 8601. Omitted: the time it arrived.',
        },
      ),
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
export const CardPayload = Type.Object(
  { card: Type.String({ pattern: '^[0-9A-Fa-f]{4,32}$' }) },
  { additionalProperties: false },
);

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
  state: OneOf(COMPONENT_STATES),
  detail: Type.Optional(Type.String()),
  /** How far a long preparation has come while starting (the media worker's build). */
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
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
  advice: Type.Optional(OneOf(ADVICE)),
  startedAt: Type.Integer(),
  endedAt: Type.Optional(Type.Integer()),
  peak: Type.Number(),
  value: Type.Number(),
  state: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
});

export const DisplayStateEvent = Type.Object({
  name: Type.String(),
  power: OneOf(PANEL_POWER),
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
  lesson: Type.Integer({ description: "Index of the lesson in today's timetable." }),
  share: Type.Number({ description: 'Share of the lesson the screen has been on so far.' }),
  limit: Type.Number(),
});

export const CardReadEvent = Type.Object({ deviceId: Type.String(), card: Type.String() });
export const TemperatureEvent = Type.Object({
  station: Type.String(),
  objectC: Type.Number(),
  ambientC: Type.Number(),
  at: Type.Integer(),
});
export const IdentifiedEvent = Type.Object({
  studentId: Type.Integer(),
  name: Type.String(),
  classId: Type.String(),
  via: Type.String({ description: 'The card reader.' }),
});
export const HealthAlertEvent = Type.Object({
  id: Type.Integer(),
  classId: Type.String(),
  rule: OneOf(CLUSTER_RULES),
  category: OneOf(SIGNAL_CATEGORIES),
  firstDay: Type.String(),
  lastDay: Type.String(),
  cases: Type.Integer({ description: 'Students in the cluster so far (it grows while its days overlap).' }),
  reportedAt: Type.Union([Type.Integer(), Type.Null()], {
    description:
      '已上报: when a teacher or the school doctor marked it reported to the CDC and the education bureau (ms).',
  }),
  reportedBy: Type.Union([Type.String(), Type.Null()], { description: 'Who marked it reported (display name).' }),
  reportedCases: Type.Union([Type.Integer(), Type.Null()], { description: 'Its cases when it was reported.' }),
});

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const WaitSummarySchema = Type.Object({
  n: Type.Integer({ minimum: 0 }),
  medianS: Nullable(Type.Number()),
  p25S: Nullable(Type.Number()),
  p75S: Nullable(Type.Number()),
  atLeast3sShare: Nullable(Type.Number({ description: "Share of waits of at least 3 s (Rowe's threshold)." })),
  histogram: Type.Array(Type.Integer({ minimum: 0 }), {
    minItems: 5,
    maxItems: 5,
    description: 'Waits in [0,1), [1,2), [2,3), [3,5) and 5 s or more.',
  }),
});
export const VOICE_MODES = ['single', 'multiple', 'none'] as const;
/** Questioning figures of a lesson (edge/analysis/questioning.ts): timing only, no words. */
export const QuestioningSchema = Type.Object(
  {
    wt1: WaitSummarySchema,
    wt2: WaitSummarySchema,
    episodes: Type.Integer({ minimum: 0 }),
    episodesPer10Min: Nullable(Type.Number()),
    episodeMedianS: Nullable(Type.Number()),
    episodeAt: Type.Array(Type.Number(), {
      description: "Seconds from the lesson's start at which each question-and-answer episode's question ended.",
    }),
    modeShares: Type.Object(
      { single: Type.Number(), multiple: Type.Number(), none: Type.Number() },
      { description: 'Share of the coded intervals in each classroom mode (one voice, several voices, no voice).' },
    ),
  },
  {
    description:
      'Wait time 1 (the teacher stops → a student starts), wait time 2 (a student stops → the teacher resumes), question-and-answer episodes and the classroom modes, from the timing of speech alone.',
  },
);

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
  mode: Nullable(OneOf(TEACHING_MODES)),
  headUpMean: Nullable(Type.Number()),
  framesAnalysed: Type.Integer(),
  framesDropped: Type.Integer(),
  questioning: Nullable(QuestioningSchema),
  period: Nullable(
    Type.Object(
      {
        n: Type.Integer({ minimum: 1, description: '第 n 节 of the day in the timetable.' }),
        start: Type.String(),
        end: Type.String(),
      },
      {
        description:
          'The timetable period the lesson was in (started up to 10 minutes early counts); null outside the timetable.',
      },
    ),
  ),
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
  voice: Nullable(OneOf(VOICE_MODES)),
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
  presentFrom: Type.Union([Type.Literal('check'), Type.Literal('classSize')], {
    description:
      "Where `present` comes from: today's morning check once it is complete (every student checked or reported absent), else analysis.classSize. Never a partial check.",
  }),
  headUp: Nullable(Type.Number()),
  framesDropped: Type.Integer(),
  codes: Type.String(),
  rt: Nullable(Type.Number()),
  ch: Nullable(Type.Number()),
  mode: Nullable(OneOf(TEACHING_MODES)),
  turns: Type.Integer(),
});
export const CaptureEvent = Type.Object({
  active: Type.Boolean(),
  until: Nullable(Type.Integer()),
  by: Nullable(Type.String()),
});

/** A switched output of the room (edge/room/switch.ts): only what the device confirmed. */
export const SwitchStateEvent = Type.Object({
  id: Type.String(),
  state: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('unknown')]),
  pending: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off')])),
  confirmedAt: Type.Optional(Type.Integer()),
  lastError: Type.Optional(Type.String()),
  /** A dimmer's confirmed output, 0..100 %. */
  level: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  via: Type.String(),
});

/** The room (edge/room/room-service.ts): scene, each switch with what the room wants of it and why. */
export const RoomStateEvent = Type.Object({
  enabled: Type.Boolean(),
  scene: Nullable(
    Type.Object({
      id: Type.Union([
        Type.Literal('lesson'),
        Type.Literal('break'),
        Type.Literal('projection'),
        Type.Literal('leave'),
      ]),
      since: Type.Integer(),
      by: Type.String(),
    }),
  ),
  switches: Type.Array(
    Type.Object({
      id: Type.String(),
      role: Type.Union([
        Type.Literal('fresh-air'),
        Type.Literal('lights'),
        Type.Literal('screen-lights'),
        Type.Literal('other'),
      ]),
      status: Type.Optional(SwitchStateEvent),
      mode: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')]),
      source: Type.Union([Type.Literal('scene'), Type.Literal('override')]),
      overrideUntil: Type.Optional(Type.Integer()),
      overrideBy: Type.Optional(Type.String()),
      label: Type.Optional(Type.String({ description: 'Its name on the kiosk (room.switches[].label).' })),
      why: Type.Object({
        code: OneOf(WHY_CODES),
        n: Type.Optional(Type.Number()),
        m: Type.Optional(Type.Number()),
      }),
      reason: Type.String({ description: 'The same as why, in English.' }),
    }),
  ),
  curtains: Type.Array(
    Type.Object({
      id: Type.String(),
      label: Type.Optional(Type.String()),
      position: Nullable(Type.Number({ description: '0 closed .. 1 open, estimated from time; null until known.' })),
      moving: Nullable(Type.Union([Type.Literal('opening'), Type.Literal('closing')])),
      lastError: Type.Optional(Type.String()),
    }),
  ),
  co2Ppm: Nullable(Type.Integer()),
  deskLx: Nullable(Type.Integer()),
  sizing: Type.Object({
    students: Type.Integer(),
    unitM3h: Type.Integer(),
    steadyPpm: Type.Number({ description: 'Where CO₂ settles with the unit running and the windows shut.' }),
    requiredUnitM3h: Type.Number({ description: 'The flow that would hold 1000 ppm.' }),
    standardMinimumM3h: Type.Number({ description: "GB/T 17226's minimum fresh air for the class." }),
    standardMinimumSteadyPpm: Type.Number(),
    undersized: Type.Boolean(),
  }),
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
  'switch.state': SwitchStateEvent,
  'room.state': RoomStateEvent,
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
  'switch.state': ['admin', 'teacher'],
  'room.state': ['admin', 'teacher'],
};

// ---- Remote lessons (WebSocket /api/v1/media; docs/remote-lesson.md) ----------------------------
// Signalling is request/response: a client sends `{ id, method, data }` and gets
// `{ id, ok: true, data }` or `{ id, ok: false, error, message }`; the appliance also pushes
// `{ type, data }` events. mediasoup's own parameter objects (ICE, DTLS, RTP) pass through as
// opaque JSON objects: mediasoup validates them itself and names the bad field.

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Opaque = Type.Object({}, { additionalProperties: true });
export const MEDIA_LABELS = ['camera', 'screen', 'mic', 'classroom-camera'] as const;
const Label = Type.Union(MEDIA_LABELS.map((l) => Type.Literal(l)));
const Kind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);

/** Every signalling request: method -> data. Who may send which: MEDIA_METHOD_ROLES. */
export const MediaRequestSchemas = {
  'lesson.start': Type.Object(
    { title: Type.Optional(Type.String({ maxLength: 80 })) },
    { additionalProperties: false },
  ),
  'lesson.end': Type.Object({}, { additionalProperties: false }),
  'room.join': Type.Object(
    { name: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) },
    { additionalProperties: false },
  ),
  'transport.create': Type.Object(
    { direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) },
    { additionalProperties: false },
  ),
  'transport.connect': Type.Object({ transportId: Id, dtlsParameters: Opaque }, { additionalProperties: false }),
  produce: Type.Object(
    { transportId: Id, kind: Kind, rtpParameters: Opaque, label: Label },
    { additionalProperties: false },
  ),
  'producer.close': Type.Object({ producerId: Id }, { additionalProperties: false }),
  consume: Type.Object({ transportId: Id, producerId: Id, rtpCapabilities: Opaque }, { additionalProperties: false }),
  'consumer.resume': Type.Object({ consumerId: Id }, { additionalProperties: false }),
  'consumer.layers': Type.Object(
    {
      consumerId: Id,
      spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }),
      temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
    },
    { additionalProperties: false },
  ),
  'participant.mute': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'participant.remove': Type.Object({ participantId: Id }, { additionalProperties: false }),
  'camera.start': Type.Object(
    {
      source: Type.String({
        minLength: 1,
        maxLength: 300,
        description: "'testsrc', an rtsp:// URL or a /dev/video* device.",
      }),
    },
    { additionalProperties: false },
  ),
  'camera.stop': Type.Object({}, { additionalProperties: false }),
  'partner.link': Type.Object(
    {
      partnerId: Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          "The host classroom's applianceId in media.partners; its URL and key come from that list, not from the request.",
      }),
      code: Type.String({ minLength: 4, maxLength: 16 }),
    },
    { additionalProperties: false },
  ),
  'partner.hello': Type.Object(
    {
      applianceId: Id,
      code: Type.String({ minLength: 4, maxLength: 16 }),
      signature: Type.String({ minLength: 1, maxLength: 200 }),
      nonce: Type.String({
        pattern: '^[A-Za-z0-9_-]{16,64}$',
        description: "The partner's one-time challenge to the host, which signs it back (mutual proof).",
      }),
    },
    { additionalProperties: false },
  ),
  'partner.pipe': Type.Object(
    {
      ip: Type.String({ minLength: 1, maxLength: 64 }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      srtpParameters: Opaque,
    },
    { additionalProperties: false },
  ),
  /** Partner -> host: one of the partner classroom's own producers, sent through the pipe. */
  'partner.produce': Type.Object(
    {
      producerId: Id,
      kind: Kind,
      label: Label,
      name: Type.String({ maxLength: 80 }),
      rtpParameters: Opaque,
      paused: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  'partner.unproduce': Type.Object({ producerId: Id }, { additionalProperties: false }),
} as const;
export type MediaRequests = { [K in keyof typeof MediaRequestSchemas]: Static<(typeof MediaRequestSchemas)[K]> };
export type MediaMethod = keyof MediaRequests;

/** Who may call what: a teacher's (or admin's) session, a viewer with a join code, a partner appliance. */
export type MediaRole = 'teacher' | 'viewer' | 'partner';
export const MEDIA_METHOD_ROLES: Record<MediaMethod, readonly MediaRole[]> = {
  'lesson.start': ['teacher'],
  'lesson.end': ['teacher'],
  'room.join': ['teacher', 'viewer'],
  'transport.create': ['teacher', 'viewer'],
  'transport.connect': ['teacher', 'viewer'],
  // Viewers watch: they only receive. A partner classroom sends through its pipe.
  produce: ['teacher'],
  'producer.close': ['teacher'],
  consume: ['teacher', 'viewer'],
  'consumer.resume': ['teacher', 'viewer'],
  'consumer.layers': ['teacher', 'viewer'],
  'participant.mute': ['teacher'],
  'participant.remove': ['teacher'],
  'camera.start': ['teacher'],
  'camera.stop': ['teacher'],
  'partner.link': ['teacher'],
  'partner.hello': ['partner'],
  'partner.pipe': ['partner'],
  'partner.produce': ['partner'],
  'partner.unproduce': ['partner'],
};

export const MediaProducerInfo = Type.Object({
  producerId: Id,
  participantId: Id,
  name: Type.String(),
  kind: Kind,
  label: Label,
  origin: Type.Union([Type.Literal('local'), Type.Literal('partner')]),
});
export const MediaParticipantInfo = Type.Object({
  participantId: Id,
  name: Type.String(),
  role: Type.Union([Type.Literal('teacher'), Type.Literal('viewer'), Type.Literal('partner')]),
});

/** Events the appliance pushes on /api/v1/media: `{ type, data }`. */
export const MediaEventSchemas = {
  /** First frame on every connection: a partner appliance signs this challenge. */
  'media.hello': Type.Object({ challenge: Type.String() }),
  'producer.added': MediaProducerInfo,
  'producer.closed': Type.Object({ producerId: Id }),
  'consumer.closed': Type.Object({ consumerId: Id, producerId: Id }),
  'participant.joined': MediaParticipantInfo,
  'participant.left': Type.Object({ participantId: Id, reason: Type.String() }),
  /** Your own microphone/camera were paused by the teacher. */
  'participant.muted': Type.Object({ participantId: Id }),
  /** The lesson ended, you were removed, or the media worker restarted (join again). */
  'room.closed': Type.Object({
    reason: Type.Union([
      Type.Literal('ended'),
      Type.Literal('removed'),
      Type.Literal('restarting'),
      Type.Literal('vanished'),
    ]),
  }),
  /** Host -> partner appliance: a producer to re-produce on the partner's side of the pipe. */
  'partner.producer': Type.Object({
    producerId: Id,
    kind: Kind,
    label: Label,
    name: Type.String(),
    rtpParameters: Opaque,
    paused: Type.Boolean(),
  }),
} as const;
export type MediaEvents = { [K in keyof typeof MediaEventSchemas]: Static<(typeof MediaEventSchemas)[K]> };
export type MediaEventName = keyof MediaEvents;
export type MediaEventFrame = { [K in MediaEventName]: { type: K; data: MediaEvents[K] } }[MediaEventName];
