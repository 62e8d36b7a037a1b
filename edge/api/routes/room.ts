import { route, type RouteDef } from '../route.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { ApiContext } from '../context.js';

/** The room, for a command: refused while room control is off. */
function room(ctx: ApiContext): ReturnType<ApiContext['room']> {
  if (!ctx.config.room.enabled) throw new ConflictError('room control is off (room.enabled in the settings)');
  return ctx.room();
}

export const roomRoutes: RouteDef[] = [
  route('GET /api/v1/room', {
    tag: 'room',
    access: 'teacher',
    summary:
      'The room: the scene, every switch as its device confirmed it, what the room wants of it and why, CO₂, desk light and whether the fresh-air unit is big enough for the class. `enabled` is false while room control is off.',
    handler: (_req, ctx) => ctx.room().view(),
  }),
  route('POST /api/v1/room/scene', {
    tag: 'room',
    access: 'teacher',
    summary:
      'Start a scene (上课, 下课, 投影, 离开): each group to its target, the panel on or off; changes made by hand end.',
    handler: async (req, ctx) => room(ctx).scene(req.body.scene, `user:${req.session?.username ?? '?'}`),
  }),
  route('POST /api/v1/room/curtains/:id', {
    tag: 'room',
    access: 'teacher',
    summary:
      'Open, close or stop a curtain; it answers once the motor relay is confirmed (or why it did not move) and stops by itself after its travel time.',
    handler: async (req, ctx) => {
      const v = await room(ctx).curtain(req.params.id, req.body.motion, `user:${req.session?.username ?? '?'}`);
      if (!v) throw new NotFoundError(`no curtain '${req.params.id}' in room.curtains, or its relays have no driver`);
      return v;
    },
  }),
  route('POST /api/v1/room/switches/:id', {
    tag: 'room',
    access: 'teacher',
    summary:
      "Switch one output by hand (on, off) until the end of the lesson, or give it back to the room's rule (auto).",
    handler: (req, ctx) => {
      const v = room(ctx).override(req.params.id, req.body.mode, `user:${req.session?.username ?? '?'}`);
      if (!v) throw new NotFoundError(`no switch '${req.params.id}' in room.switches`);
      return v;
    },
  }),
];
