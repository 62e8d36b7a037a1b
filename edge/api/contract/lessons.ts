import { Type } from '@sinclair/typebox';
import { LessonEvent, LessonSampleEvent, CaptureEvent } from '../../messages.js';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { Defaulted } from './endpoint.js';

export const LessonReportBody = Type.Object({
  lesson: LessonEvent,
  samples: Type.Array(Type.Omit(LessonSampleEvent, ['lessonId'])),
  curve: Type.Array(Type.Object({ t: Type.Integer(), s: Type.Integer() }), {
    description: 'The S-T curve: cumulative T against cumulative S, one point per coded sample.',
  }),
});

export const LessonTrendsBody = Type.Object({
  teacher: Type.Union([Type.Object({ username: Type.String(), displayName: Type.String() }), Type.Null()], {
    description: 'Whose lessons these are; null for an admin who named no teacher (then: the teachers to choose from).',
  }),
  teachers: Type.Array(Type.Object({ username: Type.String(), displayName: Type.String() }), {
    description: 'For an admin: the teachers with analysed lessons. For a teacher: empty.',
  }),
  lessons: Type.Array(LessonEvent, { description: 'Their ended lessons in the period, oldest first (at most 200).' }),
});

export const lessonEndpoints = {
  'GET /api/v1/lessons': {
    query: Type.Object(
      { limit: Defaulted(Type.Integer({ minimum: 1, maximum: 200 }), 30), before: Type.Optional(Type.Integer()) },
      { additionalProperties: false },
    ),
    response: Type.Array(LessonEvent),
  },
  'GET /api/v1/lessons/current': {
    response: Type.Object({ lesson: Type.Union([LessonEvent, Type.Null()]), capture: CaptureEvent }),
  },
  'POST /api/v1/lessons/start': { response: LessonEvent },
  'POST /api/v1/lessons/current/end': { response: LessonEvent },
  'GET /api/v1/lessons/trends': {
    query: Type.Object(
      {
        teacher: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 64,
            description: "Admins only: whose lessons. A teacher always gets their own (another teacher's name: 403).",
          }),
        ),
        days: Defaulted(Type.Integer({ minimum: 1, maximum: 400 }), 120),
      },
      { additionalProperties: false },
    ),
    response: LessonTrendsBody,
  },
  'GET /api/v1/lessons/:id': { response: LessonReportBody },
  'GET /api/v1/analysis/capture': {
    response: Type.Object({
      state: CaptureEvent,
      captures: Type.Array(
        Type.Object({
          id: Type.String(),
          files: Type.Integer(),
          bytes: Type.Integer(),
          endedAt: Type.Union([Type.Integer(), Type.Null()]),
        }),
      ),
    }),
  },
  'POST /api/v1/analysis/capture': {
    body: Type.Object({ minutes: Type.Integer({ minimum: 1, maximum: 60 }) }, { additionalProperties: false }),
    response: CaptureEvent,
  },
  'DELETE /api/v1/analysis/capture': { response: CaptureEvent },
} satisfies Record<EndpointKey, Endpoint>;
