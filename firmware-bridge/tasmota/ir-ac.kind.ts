import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { SWITCHES } from '../../edge/runtime/capabilities.js';
import { DeviceId } from '../../edge/config/device-id.js';
import { StringEnum } from '../../edge/config/string-enum.js';

export const IrAcSchema = Type.Object(
  {
    type: Type.Literal('tasmota-ir-ac'),
    ...componentBaseFields,
    id: DeviceId({ description: 'The air conditioner, as a switch of the room (e.g. air-conditioner).' }),
    blaster: DeviceId({
      description:
        'The IR blaster: a registered device (kind switch) running Tasmota with IR, whose Topic is this id; it sends IRhvac.',
    }),
    vendor: Type.String({
      pattern: '^[A-Z0-9_]{2,32}$',
      default: 'GREE',
      description: "The AC's IR protocol as Tasmota's IRhvac names it (GREE, MIDEA, HAIER_AC, KELVINATOR, DAIKIN...).",
    }),
    mode: StringEnum(['cool', 'heat', 'auto', 'dry', 'fan_only'] as const, {
      default: 'auto',
      description: 'Mode sent with "on".',
    }),
    temperatureC: Type.Integer({
      minimum: 16,
      maximum: 30,
      default: 26,
      description: 'Set point sent with "on" (GB/T 18883: 22-28 °C with cooling, 16-24 °C with heating).',
    }),
    meter: Type.Optional(
      DeviceId({
        description:
          'A metering plug (Tasmota with ENERGY, kind switch) the AC is plugged into: its power is what confirms on or off. Without it the AC is never shown as confirmed, since IR cannot answer.',
      }),
    ),
    onAboveW: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 60,
      description: 'Power above which the AC counts as running (standby draws a few watts).',
    }),
    confirmTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 90000,
      description: "How long to wait for the meter to show the change (set the plug's TelePeriod to 10 s).",
    }),
  },
  { additionalProperties: false },
);

export const irAcKind = defineKind({
  type: 'tasmota-ir-ac',
  schema: IrAcSchema,
  provides: SWITCHES,
  load: async () => {
    const mod = await import('./ir-ac.js');
    return { create: (ctx, config) => new mod.IrAc(ctx, config) };
  },
});
