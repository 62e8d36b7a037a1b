import { Type } from '@sinclair/typebox';
import { Ok } from '../schemas.js';
import type { Endpoint, EndpointKey } from './endpoint.js';

const Stream = Type.Object({
  stream: Type.String(),
  confirmedSeq: Type.Integer(),
  backlog: Type.Integer(),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const syncEndpoints = {
  'GET /api/v1/sync': {
    response: Type.Object({
      enrolled: Type.Boolean(),
      district: Type.Union([Type.String(), Type.Null()]),
      state: Type.String(),
      detail: Type.Optional(Type.String()),
      window: Type.Object({ from: Type.String(), to: Type.String() }),
      streams: Type.Array(Stream),
    }),
  },
  'POST /api/v1/sync/now': { response: Ok },
} satisfies Record<EndpointKey, Endpoint>;
