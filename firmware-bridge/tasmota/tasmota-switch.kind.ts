import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { SWITCHES } from '../../edge/runtime/capabilities.js';
import { DeviceId } from '../../edge/config/device-id.js';

export const TasmotaSwitchSchema = Type.Object(
  {
    type: Type.Literal('tasmota-switch'),
    ...componentBaseFields,
    device: DeviceId({
      description:
        "The registered device (kind switch) that is the Wi-Fi switch; its Tasmota Topic is this id and its MQTT user and password are the device's.",
    }),
    channels: Type.Array(
      Type.Object(
        {
          power: Type.Integer({
            minimum: 1,
            maximum: 8,
            description: "The device's relay: POWER1..POWER8 (a single-relay device reports POWER).",
          }),
          id: DeviceId({ description: 'The switch this relay is known by in the room settings, e.g. lights-board.' }),
          dimmer: Type.Boolean({
            default: false,
            description: 'The device dims this output (Tasmota Dimmer 0-100).',
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'The outputs in use.' },
    ),
    confirmTimeoutMs: Type.Integer({
      minimum: 200,
      maximum: 30000,
      default: 3000,
      description: "How long a command waits for the device's report before the switch is shown as unknown.",
    }),
    retryIntervalMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 10000,
      description: 'How often an unconfirmed command is sent again (and the state asked for).',
    }),
  },
  { additionalProperties: false },
);

export const tasmotaSwitchKind = defineKind({
  type: 'tasmota-switch',
  schema: TasmotaSwitchSchema,
  provides: SWITCHES,
  load: async () => {
    const mod = await import('./tasmota-switch.js');
    return { create: (ctx, config) => new mod.TasmotaSwitch(ctx, config) };
  },
});
