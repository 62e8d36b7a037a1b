import { Type } from '@sinclair/typebox';
import { Ok } from '../schemas.js';
import type { Endpoint, EndpointKey } from './endpoint.js';

const Stream = Type.Object({
  stream: Type.String(),
  confirmedSeq: Type.Integer(),
  backlog: Type.Integer(),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  quarantined: Type.Integer({ description: 'Records of this stream the district refused, held in the quarantine.' }),
});

/** Records the district refused by name, held back so their streams go on. */
export const Quarantine = Type.Object({
  count: Type.Integer(),
  byStream: Type.Record(Type.String(), Type.Integer()),
  latest: Type.Array(
    Type.Object({
      stream: Type.String(),
      seq: Type.Integer(),
      reason: Type.String({ description: "The district's reason, naming the field and what it accepts." }),
      quarantinedAt: Type.Integer(),
    }),
    { description: 'The 20 most recent, newest first.' },
  ),
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
      quarantine: Quarantine,
    }),
  },
  'POST /api/v1/sync/now': { response: Ok },
} satisfies Record<EndpointKey, Endpoint>;
