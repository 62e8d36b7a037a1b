import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../runtime/component-kind.js';
import { StringEnum } from '../config/string-enum.js';
import { FAMILY_NAMES } from '../../firmware-bridge/display/families.js';
import { SOURCES } from '../../firmware-bridge/display/protocol.js';
import { SERIAL_WRITE_TIMEOUT_MS } from '../../firmware-bridge/serial/defaults.js';
import { PANEL } from '../runtime/capabilities.js';

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const DisplaySchema = Type.Object(
  {
    type: Type.Literal('display'),
    ...componentBaseFields,
    family: StringEnum(FAMILY_NAMES, { description: 'Panel protocol family: hitevision (Newline), maxhub, hisense.' }),
    port: Type.Optional(Type.String({ minLength: 1, description: 'RS-232 serial device, e.g. /dev/classedge-panel.' })),
    baudRate: Type.Optional(
      Type.Integer({
        minimum: 1200,
        maximum: 115200,
        description: "Default: the family's (115200 Hitevision, 9600 others).",
      }),
    ),
    tcp: Type.Optional(
      Type.Object(
        { host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
        { additionalProperties: false, description: 'Control over the network instead of RS-232.' },
      ),
    ),
    commandTimeoutMs: Type.Integer({ minimum: 50, maximum: 10000, default: 800 }),
    writeTimeoutMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: SERIAL_WRITE_TIMEOUT_MS,
      description:
        'How long a command may take to leave the serial port or TCP socket (a stuck line fails the command instead of hanging it).',
    }),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 2 }),
    schedule: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Switch the panel on before the first lesson and off after the last.',
        }),
        onMinutesBefore: Type.Integer({ minimum: 0, maximum: 120, default: 10 }),
        offMinutesAfter: Type.Integer({ minimum: 0, maximum: 240, default: 15 }),
      },
      { additionalProperties: false, default: {} },
    ),
    defaultSource: StringEnum(SOURCES, {
      default: 'ops',
      description: 'Input selected when the schedule switches the panel on.',
    }),
    luminance: Type.Object(
      {
        limitCdm2: Type.Number({
          minimum: 50,
          maximum: 1000,
          default: 400,
          description: 'GB 40070-2021: a teaching screen in use stays at or below 400 cd/m2.',
        }),
        atFullBrightnessCdm2: Type.Number({
          minimum: 50,
          maximum: 2000,
          default: 450,
          description: "The panel's luminance at 100 % brightness (its datasheet).",
        }),
        followLight: Type.Boolean({
          default: true,
          description: "Set brightness from the room's illuminance sensors.",
        }),
        minPercent: Type.Integer({ minimum: 0, maximum: 100, default: 30 }),
        luxForFull: Type.Number({
          minimum: 50,
          maximum: 100000,
          default: 1000,
          description: 'Room illuminance at which the panel goes to its (capped) maximum.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    eyeCare: Type.Array(Type.Object({ from: HHMM, to: HHMM }, { additionalProperties: false }), {
      default: [],
      description: 'Local times when the eye-care (low blue light) mode is on.',
    }),
    maxScreenShare: Type.Number({
      minimum: 0.05,
      maximum: 1,
      default: 0.3,
      description: 'Screen teaching at most this share of a lesson (2018 myopia-prevention plan).',
    }),
  },
  { additionalProperties: false },
);

export const displayKind = defineKind({
  type: 'display',
  schema: DisplaySchema,
  provides: PANEL,
  load: async () => {
    const mod = await import('./display-service.js');
    return { create: (ctx, config) => new mod.DisplayService(ctx, config) };
  },
});
