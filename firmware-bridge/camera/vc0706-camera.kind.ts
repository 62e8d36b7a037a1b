import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { StringEnum } from '../../edge/config/string-enum.js';
import { SERIAL_WRITE_TIMEOUT_MS } from '../serial/defaults.js';

export const Vc0706Schema = Type.Object(
  {
    type: Type.Literal('camera-vc0706'),
    ...componentBaseFields,
    port: Type.String({
      minLength: 1,
      description: 'Serial port of the TTL JPEG camera module, e.g. /dev/classedge-camera.',
    }),
    baudRate: Type.Integer({
      enum: [9600, 19200, 38400, 57600, 115200],
      default: 38400,
      description: "The module's baud rate (38400 out of the box).",
    }),
    imageSize: StringEnum(['640x480', '320x240', '160x120'] as const, {
      default: '640x480',
      description: 'Picture size asked of the module.',
    }),
    everySeconds: Type.Number({
      minimum: 2,
      maximum: 300,
      default: 10,
      description: 'A picture this often; a 640x480 frame takes seconds to read at 38400 baud.',
    }),
    chunkBytes: Type.Integer({
      minimum: 32,
      maximum: 65536,
      default: 8192,
      description: 'Bytes per frame-read request.',
    }),
    writeTimeoutMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: SERIAL_WRITE_TIMEOUT_MS,
      description:
        'How long a command may take to leave the port (a stuck line fails the command instead of hanging it).',
    }),
  },
  { additionalProperties: false },
);

export const vc0706Kind = defineKind({
  type: 'camera-vc0706',
  schema: Vc0706Schema,
  load: async () => {
    const mod = await import('./vc0706-camera.js');
    return { create: (ctx, config) => new mod.Vc0706Camera(ctx, config) };
  },
});
