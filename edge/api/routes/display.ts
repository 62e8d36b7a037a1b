import type { Static } from '@sinclair/typebox';
import { route, type RouteDef } from '../route.js';
import type { PanelBody } from '../contract/display.js';
import { NotFoundError, ClassEdgeError } from '../../errors.js';
import { SOURCES, type DisplayCommand } from '../../../firmware-bridge/display/protocol.js';
import type { ApiContext } from '../context.js';
import { panelEvent, type DisplayService } from '../../display/display-service.js';
import { UNKNOWN_STATE } from '../../../firmware-bridge/display/display-driver.js';

function find(ctx: ApiContext, name: string): DisplayService {
  const d = ctx.displays().find((x) => x.name === name);
  if (!d) throw new NotFoundError(`no display '${name}'`);
  return d;
}

function body(d: DisplayService): Static<typeof PanelBody> {
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
  route('GET /api/v1/displays', {
    tag: 'display',
    access: 'teacher',
    summary: "Every interactive flat panel: confirmed state, pending commands, brightness cap and today's screen time.",
    handler: (_req, ctx) => ctx.displays().map(body),
  }),
  route('POST /api/v1/displays/:name/commands', {
    tag: 'display',
    access: 'teacher',
    summary:
      'Send a command and wait until the panel confirms it (200 with the confirmed state), or 504 when it does not.',
    handler: async (req, ctx) => {
      const d = find(ctx, req.params.name);
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
      ctx.store.audit.record({
        actor: `user:${req.session?.username ?? '?'}`,
        action: 'display.command',
        target: d.name,
        result: 'ok',
        detail: { ...cmd },
      });
      return body(d);
    },
  }),
  route('GET /api/v1/displays/:name/screen-time', {
    tag: 'display',
    access: 'teacher',
    summary:
      'Screen time of one local day (default today): minutes on, per lesson, and the share of teaching time against the guidance.',
    handler: (req, ctx) => find(ctx, req.params.name).screenTime(req.query.date),
  }),
];
