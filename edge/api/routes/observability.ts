import { route, type RouteDef } from '../route.js';
import { MAX_POINTS, RANGE_S, historyPoints } from '../../observability/history-points.js';

export const observabilityRoutes: RouteDef[] = [
  route('GET /api/v1/system/history', {
    tag: 'system',
    access: 'admin',
    summary:
      "The appliance's own CPU share, memory, disk free, flash write rate, event-loop lag and sync lag over the last 24 hours or 7 days, from the on-box history (the 系统状态 charts).",
    handler: (req, ctx) => {
      const range = req.query.range;
      const intervalS = ctx.config.metrics.historyIntervalSeconds;
      // One bucket less than the cap: buckets are aligned to the epoch, so a range touches one more.
      const bucketS = Math.max(intervalS, Math.ceil(RANGE_S[range] / (MAX_POINTS - 1)));
      const samples = ctx.store.systemHistory.since(Date.now() - RANGE_S[range] * 1000);
      return { range, intervalS, bucketS, points: historyPoints(samples, bucketS) };
    },
  }),
];
