import { Type } from '@sinclair/typebox';

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** How the appliance sends its records to the district. Enrolment itself is `classedge enrol`. */
export const SyncSchema = Type.Object(
  {
    intervalMs: Type.Integer({
      minimum: 200,
      maximum: 3600000,
      default: 5000,
      description: 'How often the agent looks for records to send.',
    }),
    batchMaxRecords: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 20000,
      description: 'Records per batch at most.',
    }),
    bulkWindow: Type.Object(
      { from: HHMM, to: HHMM },
      {
        additionalProperties: false,
        default: { from: '01:00', to: '05:00' },
        description: 'Local time when bulk streams (readings, rollups, screen time) are sent.',
      },
    ),
    retryMaxMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 300000,
      description: 'Longest wait between retries (backoff with jitter).',
    }),
    timeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 60000,
      description: 'One upload at most this long.',
    }),
    maxAnswerBytes: Type.Integer({
      minimum: 65536,
      maximum: 67108864,
      default: 1048576,
      description:
        'Largest answer read from the district (positions, a configuration); a longer one is refused while it arrives, not buffered.',
    }),
    bandwidthKbps: Type.Integer({
      minimum: 0,
      maximum: 1000000,
      default: 0,
      description: "Upload at most this many kilobits per second on average (0: no cap), to spare a school's uplink.",
    }),
    allowPlainHttp: Type.Boolean({
      default: false,
      description:
        'Allow a plain http:// district URL, for tests on this machine only: even with it, only a loopback host (127.0.0.1, ::1, localhost) is accepted. Everything else is HTTPS.',
    }),
    districtCaFile: Type.Optional(
      Type.String({
        description:
          "PEM file of the district's CA or certificate, when its HTTPS certificate is not in the system store.",
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);
