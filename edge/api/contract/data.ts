import { Type } from '@sinclair/typebox';
import { AuditBody, DeviceBody, DeviceCredentialsBody, Ok, ReadingBody, UserBody } from '../schemas.js';
import { StringEnum } from '../../config/string-enum.js';
import { DEVICE_KINDS } from '../../device-kinds.js';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { Defaulted } from './endpoint.js';

export const dataEndpoints = {
  'GET /api/v1/readings': {
    query: Type.Object(
      {
        deviceId: Type.Optional(Type.String({ maxLength: 64 })),
        metric: Type.Optional(Type.String({ maxLength: 32 })),
        from: Type.Optional(Type.Integer({ minimum: 0 })),
        to: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Defaulted(Type.Integer({ minimum: 1, maximum: 10000 }), 500),
      },
      { additionalProperties: false },
    ),
    response: Type.Array(ReadingBody),
  },
  'GET /api/v1/readings/latest': { response: Type.Array(ReadingBody) },
  'GET /api/v1/devices': { response: Type.Array(DeviceBody) },
  'POST /api/v1/devices': {
    body: Type.Object(
      {
        id: Type.String({ maxLength: 63 }),
        kind: StringEnum(DEVICE_KINDS),
        description: Type.Optional(Type.String({ maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    response: DeviceCredentialsBody,
  },
  'POST /api/v1/devices/:id/secret': { response: DeviceCredentialsBody },
  'DELETE /api/v1/devices/:id': { response: Ok },
  'GET /api/v1/users': { response: Type.Array(UserBody) },
  'POST /api/v1/users': {
    body: Type.Object(
      {
        username: Type.String({ maxLength: 64 }),
        displayName: Type.Optional(Type.String({ maxLength: 60 })),
        role: StringEnum(['admin', 'teacher'] as const),
        secret: Type.String({ maxLength: 128, description: "The admin's password or the teacher's PIN." }),
      },
      { additionalProperties: false },
    ),
    response: UserBody,
  },
  'PUT /api/v1/users/:username/secret': {
    body: Type.Object({ secret: Type.String({ maxLength: 128 }) }, { additionalProperties: false }),
    response: Ok,
  },
  'PUT /api/v1/users/:username/disabled': {
    body: Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false }),
    response: UserBody,
  },
  'DELETE /api/v1/users/:username': { response: Ok },
  'GET /api/v1/audit': {
    query: Type.Object(
      {
        limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000 }), 100),
        beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
        action: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
    response: Type.Array(AuditBody),
  },
} satisfies Record<EndpointKey, Endpoint>;
