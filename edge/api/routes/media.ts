import { route, type RouteDef } from '../route.js';
import { joinOrigins } from '../join-address.js';

export const mediaRoutes: RouteDef[] = [
  route('GET /api/v1/media/partners', {
    tag: 'media',
    access: 'teacher',
    summary:
      'The partner classrooms of media.partners, by name: the kiosk offers to link to those it may (canLink). Keys and addresses are not shown; without a running media component, none.',
    handler: (_req, ctx) => ctx.media?.()?.partners() ?? [],
  }),
  route('GET /api/v1/media/lesson', {
    tag: 'media',
    access: 'teacher',
    summary:
      "The remote lesson under way (the panel shows it on every tab and after a reload) and the box's addresses for the join link and QR code: a phone cannot open 127.0.0.1, the address the panel's own browser uses.",
    handler: (req, ctx) => {
      const j = joinOrigins({
        config: ctx.config,
        listening: ctx.listening(),
        requestHost: req.host,
        secure: req.secure,
      });
      return { lesson: ctx.media?.()?.lesson() ?? null, joinOrigins: j.origins, loopbackOnly: j.loopbackOnly };
    },
  }),
];
