import { Type } from '@sinclair/typebox';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { Defaulted } from './endpoint.js';

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const HistoryPoint = Type.Object({
  ts: Type.Integer({ description: 'End of the bucket, ms since the epoch.' }),
  cpuShare: Type.Number({ minimum: 0, description: "Mean share of the machine's cores the appliance used (0..1)." }),
  rssBytes: Type.Number({ minimum: 0, description: 'Mean resident memory of the appliance process.' }),
  diskFreeBytes: Type.Number({ minimum: 0, description: 'Mean bytes free on the data directory file system.' }),
  flashBytesPerHour: Nullable(
    Type.Number({
      minimum: 0,
      description: 'Block-device bytes the process wrote, per hour over the bucket; null where not counted.',
    }),
  ),
  loopLagP99Ms: Type.Number({ minimum: 0, description: 'Highest event-loop p99 delay of the bucket, ms.' }),
  syncLagS: Nullable(
    Type.Number({ minimum: 0, description: 'Stream furthest behind the district, s; null when not enrolled.' }),
  ),
});

export const observabilityEndpoints = {
  'GET /api/v1/system/history': {
    query: Type.Object(
      {
        range: Defaulted(Type.Union([Type.Literal('24h'), Type.Literal('7d')]), '24h'),
      },
      { additionalProperties: false },
    ),
    response: Type.Object({
      range: Type.Union([Type.Literal('24h'), Type.Literal('7d')]),
      intervalS: Type.Integer({ description: 'metrics.historyIntervalSeconds: how often a sample is stored.' }),
      bucketS: Type.Integer({
        description: 'Seconds each point summarises (samples are merged to at most 400 points).',
      }),
      points: Type.Array(HistoryPoint, { description: 'Oldest first.' }),
    }),
  },
} satisfies Record<EndpointKey, Endpoint>;
