import { Type } from '@sinclair/typebox';
import { ComponentStatusBody } from '../schemas.js';
import { StringEnum } from '../../config/string-enum.js';
import { EnvAlertEvent } from '../../messages.js';
import { RuleSchema } from '../../environment/rules.js';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { Defaulted } from './endpoint.js';

/** An alert as stored: the live event's fields without its state (`endedAt` says whether it ended). */
export const AlertBody = Type.Omit(EnvAlertEvent, ['state']);

const Avg = Type.Object({ avg: Type.Number(), coverage: Type.Number() });

export const EnvironmentBody = Type.Object({
  metrics: Type.Array(
    Type.Object({
      metric: Type.String(),
      unit: Type.String(),
      devices: Type.Array(Type.Object({ deviceId: Type.String(), value: Type.Number(), ts: Type.Integer() })),
      room: Type.Union([Type.Number(), Type.Null()], {
        description:
          "The room's value now: the worst sensor for CO₂, particles, TVOC, formaldehyde and noise, the average for the rest; sensors heard in the last 10 minutes.",
      }),
      windows: Type.Object({ '1h': Type.Optional(Avg), '8h': Type.Optional(Avg), '24h': Type.Optional(Avg) }),
      status: StringEnum(['ok', 'warn', 'alert'] as const),
    }),
  ),
  alerts: Type.Array(AlertBody),
  desk: Type.Object({
    minLx: Type.Number(),
    uniformityMin: Type.Number(),
    averageLx: Type.Union([Type.Number(), Type.Null()]),
    uniformity: Type.Union([Type.Number(), Type.Null()]),
    sensors: Type.Integer(),
    ok: Type.Union([Type.Boolean(), Type.Null()]),
  }),
  rules: Type.Array(RuleSchema),
});

export const ModbusBusBody = Type.Intersect([
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
]);

export const environmentEndpoints = {
  'GET /api/v1/environment': { response: EnvironmentBody },
  'GET /api/v1/environment/history': {
    query: Type.Object(
      {
        metric: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
        hours: Defaulted(Type.Integer({ minimum: 1, maximum: 168 }), 24),
      },
      { additionalProperties: false },
    ),
    response: Type.Array(
      Type.Object({ ts: Type.Integer(), avg: Type.Number(), min: Type.Number(), max: Type.Number() }),
    ),
  },
  'GET /api/v1/environment/alerts': {
    query: Type.Object(
      { limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000 }), 50) },
      { additionalProperties: false },
    ),
    response: Type.Array(AlertBody),
  },
  'GET /api/v1/modbus': { response: Type.Array(ModbusBusBody) },
} satisfies Record<EndpointKey, Endpoint>;
