import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_KINDS } from '../device-kinds.js';
import { StringEnum } from '../config/string-enum.js';

/**
 * Response and request bodies shared by several endpoints of the contract (edge/api/contract). Like
 * the contract, this module must not import server code: the kiosk imports its types.
 */

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Stable error code.' }),
  message: Type.String(),
  issues: Type.Optional(
    Type.Array(Type.Object({ path: Type.String(), expected: Type.String(), value: Type.Optional(Type.Unknown()) })),
  ),
});

export const ComponentStatusBody = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  state: StringEnum(['stopped', 'starting', 'running', 'degraded', 'failed', 'stopping'] as const),
  detail: Type.Optional(Type.String()),
  core: Type.Optional(
    Type.Boolean({
      description: 'The appliance cannot serve without it: health is 503 while a core component is starting or failed.',
    }),
  ),
  progress: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 100,
      description:
        'How far a long preparation has come while starting (percent), for example the media worker being built.',
    }),
  ),
  counters: Type.Optional(Type.Record(Type.String(), Type.Number())),
});

export const HealthBody = Type.Object({
  status: StringEnum(['ok', 'degraded', 'starting', 'failed'] as const),
  version: Type.String(),
  applianceId: Type.String(),
  uptimeS: Type.Number(),
  components: Type.Array(ComponentStatusBody),
});

export const UserBody = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Type.String(),
  role: StringEnum(['admin', 'teacher'] as const),
  disabled: Type.Boolean(),
  lockedUntil: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.Integer(),
});

export const SessionBody = Type.Object({
  authenticated: Type.Boolean(),
  setupRequired: Type.Boolean({ description: 'True while no admin exists: the console must create one first.' }),
  user: Type.Optional(
    Type.Object({
      username: Type.String(),
      displayName: Type.String(),
      role: StringEnum(['admin', 'teacher'] as const),
    }),
  ),
  csrfToken: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token on every state-changing request.' })),
});

export const DeviceBody = Type.Object({
  id: Type.String(),
  kind: StringEnum(DEVICE_KINDS),
  description: Type.String(),
  createdAt: Type.Integer(),
  createdBy: Type.String(),
  disabled: Type.Boolean(),
  lastSeenAt: Type.Union([Type.Integer(), Type.Null()]),
});

export const DeviceCredentialsBody = Type.Object({
  device: DeviceBody,
  mqtt: Type.Object({
    username: Type.String(),
    password: Type.String({ description: 'Shown once; only a slow hash is stored.' }),
    topicPrefix: Type.String(),
  }),
});

export const ReadingBody = Type.Object({
  deviceId: Type.String(),
  metric: Type.String(),
  value: Type.Number(),
  ts: Type.Integer(),
  receivedAt: Type.Integer(),
});

export const AuditBody = Type.Object({
  id: Type.Integer(),
  ts: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  result: StringEnum(['ok', 'denied', 'error'] as const),
  detail: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.String(),
});

export const Ok = Type.Object({ ok: Type.Literal(true) });
/** The answer of a route whose only news is that it worked. */
export const OK: Static<typeof Ok> = Object.freeze({ ok: true });
