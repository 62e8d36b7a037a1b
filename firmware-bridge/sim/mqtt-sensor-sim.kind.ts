import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { DeviceId } from '../../edge/config/device-id.js';
import { StringEnum } from '../../edge/config/string-enum.js';

export const MqttSensorSimSchema = Type.Object(
  {
    type: Type.Literal('mqtt-sensor-sim'),
    ...componentBaseFields,
    deviceId: DeviceId({
      description: 'Device identity the simulated Wi-Fi sensor connects as; its credentials are (re)issued at start.',
    }),
    intervalMs: Type.Integer({
      minimum: 100,
      maximum: 3600000,
      default: 2000,
      description: 'Milliseconds between readings.',
    }),
    seed: Type.Integer({ minimum: 0, default: 1, description: 'Random seed, so a demo or test run is repeatable.' }),
    metrics: Type.Array(StringEnum(['co2_ppm', 'temperature_c', 'humidity_pct', 'pm25_ugm3'] as const), {
      minItems: 1,
      uniqueItems: true,
      default: ['co2_ppm', 'temperature_c', 'humidity_pct', 'pm25_ugm3'],
      description: 'What the node measures: each message carries one reading of each.',
    }),
  },
  { additionalProperties: false },
);

export const mqttSensorSimKind = defineKind({
  type: 'mqtt-sensor-sim',
  schema: MqttSensorSimSchema,
  load: async () => {
    const mod = await import('./mqtt-sensor-sim.js');
    return { create: (ctx, config) => new mod.MqttSensorSim(ctx, config) };
  },
});
