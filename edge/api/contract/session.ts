import { Type } from '@sinclair/typebox';
import { Ok, SessionBody, UserBody } from '../schemas.js';
import type { Endpoint, EndpointKey } from './endpoint.js';

const Username = Type.String({ minLength: 1, maxLength: 64 });
const Secret = Type.String({ minLength: 1, maxLength: 128 });

export const sessionEndpoints = {
  'GET /api/v1/session': { response: SessionBody },
  'POST /api/v1/session/admin': {
    body: Type.Object({ username: Username, password: Secret }, { additionalProperties: false }),
    response: SessionBody,
  },
  'POST /api/v1/session/teacher': {
    body: Type.Object({ username: Username, pin: Secret }, { additionalProperties: false }),
    response: SessionBody,
  },
  'DELETE /api/v1/session': { response: Ok },
  'GET /api/v1/teachers': {
    response: Type.Array(Type.Object({ username: Type.String(), displayName: Type.String() })),
  },
  'POST /api/v1/setup/admin': {
    body: Type.Object(
      {
        username: Type.String({ maxLength: 64 }),
        displayName: Type.Optional(Type.String({ maxLength: 60 })),
        password: Type.String({ maxLength: 128 }),
      },
      { additionalProperties: false },
    ),
    response: UserBody,
  },
} satisfies Record<EndpointKey, Endpoint>;
