import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { SERIAL_WRITE_TIMEOUT_MS } from '../serial/defaults.js';
import { THERMOMETER } from '../../edge/runtime/capabilities.js';

export const ThermometerSchema = Type.Object(
  {
    type: Type.Literal('thermometer'),
    ...componentBaseFields,
    port: Type.String({ minLength: 1, description: 'Serial device of the GY-MCU90614/90615 board at the door.' }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600 }),
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 10000,
      default: 1500,
      description: 'How long a measurement may take.',
    }),
    lateReplyMs: Type.Integer({
      minimum: 0,
      maximum: 30000,
      default: 2000,
      description:
        "After a measurement timed out, how long its reply may still arrive. The next measurement waits for it (at most this long) and drops it, so a late reading is never taken as the next student's.",
    }),
    writeTimeoutMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: SERIAL_WRITE_TIMEOUT_MS,
      description: 'How long a command may take to leave the port; then the port is closed and reopened.',
    }),
  },
  { additionalProperties: false },
);

export const thermometerKind = defineKind({
  type: 'thermometer',
  schema: ThermometerSchema,
  provides: THERMOMETER,
  load: async () => {
    const mod = await import('./thermometer.js');
    return { create: (ctx, config) => new mod.Thermometer(ctx, config) };
  },
});

export const SerialCardReaderSchema = Type.Object(
  {
    type: Type.Literal('card-reader-serial'),
    ...componentBaseFields,
    port: Type.String({
      minLength: 1,
      description: 'Serial device of a reader that sends each card number as a line.',
    }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600 }),
    maxLineBytes: Type.Integer({
      minimum: 8,
      maximum: 4096,
      default: 256,
      description:
        'An unfinished line longer than this is noise: it is dropped (and counted) rather than kept growing.',
    }),
  },
  { additionalProperties: false },
);

export const serialCardReaderKind = defineKind({
  type: 'card-reader-serial',
  schema: SerialCardReaderSchema,
  load: async () => {
    const mod = await import('./serial-card-reader.js');
    return { create: (ctx, config) => new mod.SerialCardReader(ctx, config) };
  },
});
