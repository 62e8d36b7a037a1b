import { Type } from '@sinclair/typebox';
import { route, type RouteDef } from '../route.js';
import { readEnrolment } from '../../sync/keys.js';

const Stream = Type.Object({
  stream: Type.String(),
  confirmedSeq: Type.Integer(),
  backlog: Type.Integer(),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const syncRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/sync',
    tag: 'sync',
    access: 'admin',
    summary: 'District sync status: enrolment, the night window, and per stream what the district confirmed, the backlog, the last success and error.',
    response: Type.Object({
      enrolled: Type.Boolean(),
      district: Type.Union([Type.String(), Type.Null()]),
      state: Type.String(),
      detail: Type.Optional(Type.String()),
      window: Type.Object({ from: Type.String(), to: Type.String() }),
      streams: Type.Array(Stream),
    }),
    handler: (_req, ctx) => {
      const e = readEnrolment(ctx.config.dataDir);
      const s = ctx.sync.status();
      return { enrolled: e !== undefined, district: e?.districtUrl ?? null, state: s.state, ...(s.detail !== undefined ? { detail: s.detail } : {}), window: ctx.config.sync.bulkWindow, streams: ctx.sync.streams() };
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/sync/now',
    tag: 'sync',
    access: 'admin',
    summary: 'Send the bulk streams now as well, outside the night window.',
    response: Type.Object({ ok: Type.Literal(true) }),
    handler: (req, ctx) => {
      ctx.sync.requestBulk();
      ctx.store.audit.record({ actor: `user:${req.session?.username ?? '?'}`, action: 'sync.now', result: 'ok' });
      return { ok: true };
    },
  }),
];
