import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../config/string-enum.js';
import { RoomStateEvent } from '../../messages.js';
import { SCENES } from '../../room/config.js';
import type { Endpoint, EndpointKey } from './endpoint.js';

export const roomEndpoints = {
  'GET /api/v1/room': { response: RoomStateEvent },
  'POST /api/v1/room/scene': {
    body: Type.Object(
      { scene: StringEnum(SCENES, { description: 'lesson 上课, break 下课, projection 投影/观影, leave 离开.' }) },
      { additionalProperties: false },
    ),
    response: RoomStateEvent,
  },
  'POST /api/v1/room/curtains/:id': {
    body: Type.Object({ motion: StringEnum(['open', 'close', 'stop'] as const) }, { additionalProperties: false }),
    response: RoomStateEvent,
  },
  'POST /api/v1/room/switches/:id': {
    body: Type.Object(
      {
        mode: StringEnum(['on', 'off', 'auto'] as const, {
          description: 'on or off until the end of the lesson; auto gives it back to the room.',
        }),
      },
      { additionalProperties: false },
    ),
    response: RoomStateEvent,
  },
} satisfies Record<EndpointKey, Endpoint>;
