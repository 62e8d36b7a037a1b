import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { need } from '../../edge/runtime/programs.js';
import { StringEnum } from '../../edge/config/string-enum.js';
import { profileIds } from '../modbus/profile.js';
import { relayProfileIds } from '../relay/profile.js';

export const ModbusSimSchema = Type.Object(
  {
    type: Type.Literal('modbus-sim'),
    ...componentBaseFields,
    ptyDir: Type.String({
      minLength: 1,
      description:
        'Directory where the pseudo-terminal pair is made: <ptyDir>/appliance is the port a modbus-bus opens.',
    }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600 }),
    seed: Type.Integer({ minimum: 0, default: 1 }),
    slaves: Type.Array(
      Type.Object(
        { address: Type.Integer({ minimum: 1, maximum: 247 }), profile: StringEnum(profileIds()) },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    relays: Type.Array(
      Type.Object(
        { address: Type.Integer({ minimum: 1, maximum: 247 }), board: StringEnum(relayProfileIds()) },
        { additionalProperties: false },
      ),
      { default: [], description: 'Simulated relay boards on the same line.' },
    ),
  },
  { additionalProperties: false },
);

export const modbusSimKind = defineKind({
  type: 'modbus-sim',
  schema: ModbusSimSchema,
  // The pseudo-terminal pair is socat's (serial/pty-pair.ts).
  programs: () => [need('socat')],
  load: async () => {
    const mod = await import('./modbus-sim-component.js');
    return { create: (ctx, config) => new mod.ModbusSimComponent(ctx, config) };
  },
});
