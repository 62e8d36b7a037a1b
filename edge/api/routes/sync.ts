import { route, type RouteDef } from '../route.js';
import { OK } from '../schemas.js';
import { readEnrolment } from '../../sync/keys.js';

export const syncRoutes: RouteDef[] = [
  route('GET /api/v1/sync', {
    tag: 'sync',
    access: 'admin',
    summary:
      'District sync status: enrolment, the night window, per stream what the district confirmed, the backlog, the last success and error, and the quarantine of records the district refused (count, reasons).',
    handler: (_req, ctx) => {
      const e = readEnrolment(ctx.config.dataDir);
      const s = ctx.sync.status();
      return {
        enrolled: e !== undefined,
        district: e?.districtUrl ?? null,
        state: s.state,
        ...(s.detail !== undefined ? { detail: s.detail } : {}),
        window: ctx.config.sync.bulkWindow,
        streams: ctx.sync.streams(),
        quarantine: ctx.sync.quarantine(),
      };
    },
  }),
  route('POST /api/v1/sync/now', {
    tag: 'sync',
    access: 'admin',
    summary: 'Send the bulk streams now as well, outside the night window.',
    handler: (req, ctx) => {
      ctx.sync.requestBulk();
      ctx.store.audit.record({ actor: `user:${req.session?.username ?? '?'}`, action: 'sync.now', result: 'ok' });
      return OK;
    },
  }),
];
