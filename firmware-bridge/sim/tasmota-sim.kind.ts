import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { DeviceId } from '../../edge/config/device-id.js';

export const TasmotaSimSchema = Type.Object(
  {
    type: Type.Literal('tasmota-sim'),
    ...componentBaseFields,
    deviceId: DeviceId({
      description:
        'Device identity (kind switch) and Tasmota Topic of the simulated Wi-Fi switch; its credentials are (re)issued at start.',
    }),
    channels: Type.Integer({ minimum: 1, maximum: 8, default: 1, description: 'Relays of the simulated switch.' }),
    telePeriodMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 300000,
      description: 'tele/…/STATE period.',
    }),
  },
  { additionalProperties: false },
);

export const tasmotaSimKind = defineKind({
  type: 'tasmota-sim',
  schema: TasmotaSimSchema,
  load: async () => {
    const mod = await import('./tasmota-sim.js');
    return { create: (ctx, config) => new mod.TasmotaSim(ctx, config) };
  },
});
