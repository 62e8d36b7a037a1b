import { Type } from '@sinclair/typebox';
import { label } from '../config/labels.js';

/** Limits of the WebSockets (/api/v1/live and /api/v1/media), under `http.webSocket`. */
export const WebSocketSchema = Type.Object(
  {
    sessionCheckSeconds: Type.Integer({
      minimum: 1,
      maximum: 300,
      default: 15,
      description:
        'How often an open WebSocket re-checks its login session. A session that ends (logout, new PIN or password) closes its sockets at once; one that expires or whose account is disabled, within this time. Close code 4401.',
      ...label(
        '会话复查间隔（秒）',
        'Session re-check interval',
        '已打开的 WebSocket 每隔多久重新核对一次登录会话。会话结束（退出登录、改了 PIN 或密码）时连接立即关闭；会话过期或账户被停用时，最迟在这个时间内关闭（关闭码 4401）。',
      ),
    }),
    maxBufferedBytes: Type.Integer({
      minimum: 65536,
      maximum: 67108864,
      default: 1048576,
      description:
        'Unsent bytes the appliance keeps for one /api/v1/live client. A client that stops reading and goes over this is disconnected (it reconnects and gets the whole current state).',
      ...label(
        '发送缓冲上限',
        'Send buffer limit',
        '为每个 `/api/v1/live` 客户端暂存的未发出数据上限，单位字节。客户端不再接收、积压超过此值就会被断开（它重连后会拿到完整的当前状态）。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '实时连接（WebSocket）',
      'WebSockets',
      '实时数据（`/api/v1/live`）和音视频（`/api/v1/media`）WebSocket 连接的限制。',
    ),
  },
);
