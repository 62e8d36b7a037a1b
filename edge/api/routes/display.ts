import { Type } from '@sinclair/typebox';
import { route, type RouteDef } from '../route.js';
import { StringEnum } from '../../config/string-enum.js';
import { DisplayStateEvent } from '../../messages.js';
import { NotFoundError, ClassEdgeError } from '../../errors.js';
import { SOURCES, type DisplayCommand } from '../../../firmware-bridge/display/protocol.js';
import type { ApiContext } from '../context.js';
import { panelEvent, type DisplayService } from '../../display/display-service.js';
import { UNKNOWN_STATE } from '../../../firmware-bridge/display/display-driver.js';

const ScreenTime = Type.Object({
  date: Type.String(),
  onMinutes: Type.Number(),
  lessonMinutes: Type.Number(),
  lessonOnMinutes: Type.Number(),
  share: Type.Number(),
  limit: Type.Number(),
  lessons: Type.Array(Type.Object({ lesson: Type.Integer(), start: Type.String(), end: Type.String(), onMinutes: Type.Number(), share: Type.Number() })),
});

const PanelBody = Type.Object({
  name: Type.String(),
  family: Type.String(),
  state: Type.Omit(DisplayStateEvent, ['name']),
  capBrightness: Type.Integer({ description: 'Highest brightness (%) that stays within the luminance limit.' }),
  supported: Type.Record(Type.String(), Type.String({ description: '"devices.md" (published bytes) or "assumed".' })),
  screenTime: ScreenTime,
});

function find(ctx: ApiContext, name: string): DisplayService {
  const d = ctx.displays().find((x) => x.name === name);
  if (!d) throw new NotFoundError(`no display '${name}'`);
  return d;
}

function body(d: DisplayService): unknown {
  const { name: _name, ...state } = panelEvent(d.name, d.panel ?? UNKNOWN_STATE);
  return {
    name: d.name,
    family: d.cfg.family,
    state,
    capBrightness: d.capPercent,
    supported: d.supported(),
    screenTime: d.screenTime(),
  };
}

export const displayRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/displays',
    tag: 'display',
    access: 'teacher',
    summary: "Every interactive flat panel: confirmed state, pending commands, brightness cap and today's screen time.",
    response: Type.Array(PanelBody),
    handler: (_req, ctx) => ctx.displays().map(body),
  }),
  route({
    method: 'post',
    path: '/api/v1/displays/:name/commands',
    tag: 'display',
    access: 'teacher',
    summary: 'Send a command and wait until the panel confirms it (200 with the confirmed state), or 504 when it does not.',
    body: Type.Object(
      {
        kind: StringEnum(['power', 'source', 'volume', 'mute', 'brightness', 'eyeCare'] as const),
        on: Type.Optional(Type.Boolean()),
        source: Type.Optional(StringEnum(SOURCES)),
        level: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    response: PanelBody,
    handler: async (req, ctx) => {
      const d = find(ctx, req.params.name ?? '');
      const b = req.body;
      const need = (field: 'on' | 'source' | 'level', expected: string): never => {
        throw new ClassEdgeError('invalid_input', `/body/${field}: expected ${expected} for a ${b.kind} command`);
      };
      const cmd: DisplayCommand =
        b.kind === 'source'
          ? { kind: 'source', source: b.source ?? need('source', SOURCES.join(', ')) }
          : b.kind === 'volume' || b.kind === 'brightness'
            ? { kind: b.kind, level: b.level ?? need('level', '0..100') }
            : { kind: b.kind, on: b.on ?? need('on', 'true or false') };
      // A panel that does not confirm raises DeviceError, which the server answers with 504.
      await d.command(cmd);
      ctx.store.audit.record({ actor: `user:${req.session?.username ?? '?'}`, action: 'display.command', target: d.name, result: 'ok', detail: { ...cmd } });
      return body(d);
    },
  }),
  route({
    method: 'get',
    path: '/api/v1/displays/:name/screen-time',
    tag: 'display',
    access: 'teacher',
    summary: 'Screen time of one local day (default today): minutes on, per lesson, and the share of teaching time against the guidance.',
    query: Type.Object({ date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) }, { additionalProperties: false }),
    response: ScreenTime,
    handler: (req, ctx) => find(ctx, req.params.name ?? '').screenTime(req.query.date),
  }),
];
