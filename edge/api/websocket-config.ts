import { Type } from '@sinclair/typebox';

/** Limits of the WebSockets (/api/v1/live and /api/v1/media), under `http.webSocket`. */
export const WebSocketSchema = Type.Object(
  {
    sessionCheckSeconds: Type.Integer({
      minimum: 1,
      maximum: 300,
      default: 15,
      description:
        'How often an open WebSocket re-checks its login session. A session that ends (logout, new PIN or password) closes its sockets at once; one that expires or whose account is disabled, within this time. Close code 4401.',
    }),
    maxBufferedBytes: Type.Integer({
      minimum: 65536,
      maximum: 67108864,
      default: 1048576,
      description:
        'Unsent bytes the appliance keeps for one /api/v1/live client. A client that stops reading and goes over this is disconnected (it reconnects and gets the whole current state).',
    }),
  },
  { additionalProperties: false, default: {} },
);
