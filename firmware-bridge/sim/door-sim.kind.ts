import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { need } from '../../edge/runtime/programs.js';
import { DeviceId } from '../../edge/config/device-id.js';

export const DoorSimSchema = Type.Object(
  {
    type: Type.Literal('door-sim'),
    ...componentBaseFields,
    ptyDir: Type.String({
      minLength: 1,
      description: 'Where the thermometer pty pair is made: <ptyDir>/appliance is the port a thermometer opens.',
    }),
    readerDeviceId: DeviceId({ description: 'Device id of the simulated MQTT card reader.' }),
    tapEveryMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 20000,
      description: 'A child taps a card this often (the next one not yet checked).',
    }),
  },
  { additionalProperties: false },
);

export const doorSimKind = defineKind({
  type: 'door-sim',
  schema: DoorSimSchema,
  // The pseudo-terminal pair is socat's (serial/pty-pair.ts).
  programs: () => [need('socat')],
  load: async () => {
    const mod = await import('./door-sim.js');
    return { create: (ctx, config) => new mod.DoorSim(ctx, config) };
  },
});
