import { route, type RouteDef } from '../route.js';

export const mediaRoutes: RouteDef[] = [
  route('GET /api/v1/media/partners', {
    tag: 'media',
    access: 'teacher',
    summary:
      'The partner classrooms of media.partners, by name: the kiosk offers to link to those it may (canLink). Keys and addresses are not shown; without a running media component, none.',
    handler: (_req, ctx) => ctx.media?.()?.partners() ?? [],
  }),
];
