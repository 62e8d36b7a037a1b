import { route, type RouteDef } from '../route.js';

export const environmentRoutes: RouteDef[] = [
  route('GET /api/v1/environment', {
    tag: 'environment',
    access: 'teacher',
    summary:
      "The room now: every metric's sensors, rolling averages (1 h, 8 h, 24 h) and status, active alerts, the desk-illuminance check, and the rules in force.",
    handler: (_req, ctx) => ctx.environment.view(),
  }),
  route('GET /api/v1/environment/history', {
    tag: 'environment',
    access: 'teacher',
    summary: 'Per-minute room average, minimum and maximum of one metric over the last hours (all sensors together).',
    handler: (req, ctx) => ctx.environment.history(req.query.metric, req.query.hours),
  }),
  route('GET /api/v1/environment/alerts', {
    tag: 'environment',
    access: 'teacher',
    summary: 'Environment alerts, newest first, with start, end and peak.',
    handler: (req, ctx) => ctx.store.envAlerts.recent(req.query.limit),
  }),
  route('GET /api/v1/modbus', {
    tag: 'environment',
    access: 'admin',
    summary:
      'Every Modbus bus, its counters and its sensors (online, last error). Raw frames stream as modbus.frame live events.',
    handler: (_req, ctx) => ctx.modbusBuses(),
  }),
];
