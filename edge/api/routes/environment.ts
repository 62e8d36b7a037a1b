import { Type } from '@sinclair/typebox';
import { route, type RouteDef } from '../route.js';
import { ComponentStatusBody } from '../schemas.js';
import { StringEnum } from '../../config/string-enum.js';
import { EnvAlertEvent } from '../../messages.js';

/** An alert as stored: the live event's fields without its state (`endedAt` says whether it ended). */
const Alert = Type.Omit(EnvAlertEvent, ['state']);

const Avg = Type.Object({ avg: Type.Number(), coverage: Type.Number() });

export const environmentRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/environment',
    tag: 'environment',
    access: 'teacher',
    summary: "The room now: every metric's sensors, rolling averages (1 h, 8 h, 24 h) and status, active alerts, the desk-illuminance check, and the rules in force.",
    response: Type.Object({
      metrics: Type.Array(
        Type.Object({
          metric: Type.String(),
          unit: Type.String(),
          devices: Type.Array(Type.Object({ deviceId: Type.String(), value: Type.Number(), ts: Type.Integer() })),
          windows: Type.Object({ '1h': Type.Optional(Avg), '8h': Type.Optional(Avg), '24h': Type.Optional(Avg) }),
          status: StringEnum(['ok', 'warn', 'alert'] as const),
        }),
      ),
      alerts: Type.Array(Alert),
      desk: Type.Object({
        minLx: Type.Number(),
        uniformityMin: Type.Number(),
        averageLx: Type.Union([Type.Number(), Type.Null()]),
        uniformity: Type.Union([Type.Number(), Type.Null()]),
        sensors: Type.Integer(),
        ok: Type.Union([Type.Boolean(), Type.Null()]),
      }),
      rules: Type.Array(Type.Unknown()),
    }),
    handler: (_req, ctx) => ctx.environment.view(),
  }),
  route({
    method: 'get',
    path: '/api/v1/environment/history',
    tag: 'environment',
    access: 'teacher',
    summary: 'Per-minute room average, minimum and maximum of one metric over the last hours (all sensors together).',
    query: Type.Object(
      { metric: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), hours: Type.Integer({ minimum: 1, maximum: 168, default: 24 }) },
      { additionalProperties: false },
    ),
    response: Type.Array(Type.Object({ ts: Type.Integer(), avg: Type.Number(), min: Type.Number(), max: Type.Number() })),
    handler: (req, ctx) => ctx.environment.history(req.query.metric, req.query.hours),
  }),
  route({
    method: 'get',
    path: '/api/v1/environment/alerts',
    tag: 'environment',
    access: 'teacher',
    summary: 'Environment alerts, newest first, with start, end and peak.',
    query: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }) }, { additionalProperties: false }),
    response: Type.Array(Alert),
    handler: (req, ctx) => ctx.store.envAlerts.recent(req.query.limit),
  }),
  route({
    method: 'get',
    path: '/api/v1/modbus',
    tag: 'environment',
    access: 'admin',
    summary: 'Every Modbus bus, its counters and its sensors (online, last error). Raw frames stream as modbus.frame live events.',
    response: Type.Array(
      Type.Intersect([
        ComponentStatusBody,
        Type.Object({
          slaves: Type.Array(
            Type.Object({
              address: Type.Integer(),
              id: Type.String(),
              profile: Type.String(),
              online: Type.Optional(Type.Boolean()),
              lastError: Type.Optional(Type.String()),
            }),
          ),
        }),
      ]),
    ),
    handler: (_req, ctx) => ctx.modbusBuses(),
  }),
];
