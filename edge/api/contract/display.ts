import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../config/string-enum.js';
import { DisplayStateEvent } from '../../messages.js';
import { SOURCES } from '../../../firmware-bridge/display/sources.js';
import type { Endpoint, EndpointKey } from './endpoint.js';

export const ScreenTimeBody = Type.Object({
  date: Type.String(),
  onMinutes: Type.Number(),
  lessonMinutes: Type.Number(),
  lessonOnMinutes: Type.Number(),
  share: Type.Number(),
  limit: Type.Number(),
  lessons: Type.Array(
    Type.Object({
      lesson: Type.Integer(),
      start: Type.String(),
      end: Type.String(),
      onMinutes: Type.Number(),
      share: Type.Number(),
    }),
  ),
});

export const PanelBody = Type.Object({
  name: Type.String(),
  family: Type.String(),
  state: Type.Omit(DisplayStateEvent, ['name']),
  capBrightness: Type.Integer({ description: 'Highest brightness (%) that stays within the luminance limit.' }),
  supported: Type.Record(Type.String(), Type.String({ description: '"devices.md" (published bytes) or "assumed".' })),
  screenTime: ScreenTimeBody,
});

export const DISPLAY_COMMAND_KINDS = ['power', 'source', 'volume', 'mute', 'brightness', 'eyeCare'] as const;

export const displayEndpoints = {
  'GET /api/v1/displays': { response: Type.Array(PanelBody) },
  'POST /api/v1/displays/:name/commands': {
    body: Type.Object(
      {
        kind: StringEnum(DISPLAY_COMMAND_KINDS),
        on: Type.Optional(Type.Boolean()),
        source: Type.Optional(StringEnum(SOURCES)),
        level: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    response: PanelBody,
  },
  'GET /api/v1/displays/:name/screen-time': {
    query: Type.Object(
      { date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) },
      { additionalProperties: false },
    ),
    response: ScreenTimeBody,
  },
} satisfies Record<EndpointKey, Endpoint>;
