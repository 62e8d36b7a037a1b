import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { need } from '../../edge/runtime/programs.js';
import { StringEnum } from '../../edge/config/string-enum.js';
import { profileIds } from '../modbus/profile.js';
import { relayProfileIds } from '../relay/profile.js';

const RelayRef = Type.Object(
  {
    board: Type.Integer({ minimum: 1, maximum: 247, description: "The relay board's slave address." }),
    relay: Type.Integer({ minimum: 1, maximum: 32 }),
  },
  { additionalProperties: false },
);

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
    roomModel: Type.Optional(
      Type.Object(
        {
          co2Sensor: Type.Integer({
            minimum: 1,
            maximum: 247,
            description: 'The slave whose co2_ppm follows the room.',
          }),
          lightSensor: Type.Integer({
            minimum: 1,
            maximum: 247,
            description: 'The slave whose illuminance_lx follows daylight and the lights.',
          }),
          freshAir: Type.Array(RelayRef, { default: [], description: "Relays of the room's fresh-air units." }),
          lights: Type.Array(RelayRef, { default: [], description: 'Relays of the lights over the desks.' }),
          students: Type.Integer({
            minimum: 0,
            maximum: 80,
            default: 40,
            description: 'Students in the room during lessons and breaks of the timetable.',
          }),
          unitM3h: Type.Integer({
            minimum: 0,
            maximum: 10000,
            default: 1000,
            description: "The fresh-air units' flow.",
          }),
        },
        {
          additionalProperties: false,
          description:
            "The room model (firmware-bridge/sim/room-model.ts) drives the CO₂ and light sensors: CO₂ rises with the students in the room by the timetable and falls with the fresh-air relays; the desks get daylight and the lights' relays.",
        },
      ),
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
