import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../config/string-enum.js';
import { DeviceId } from '../config/device-id.js';

/**
 * The room's settings (docs/room-control.md): which switch does what, the rules that drive fresh
 * air and light toward the national limits, and the scenes. A switch is named by the id its driver
 * gives it (a relay of a `modbus-bus`, an output of a `tasmota-switch`).
 */
export const SWITCH_ROLES = ['fresh-air', 'lights', 'screen-lights', 'other'] as const;
export type SwitchRole = (typeof SWITCH_ROLES)[number];

export const SCENES = ['lesson', 'break', 'projection', 'leave'] as const;
export type SceneId = (typeof SCENES)[number];

/** What a scene does with a group: leave it to its rule, switch it on or off, or leave it as it is. */
export const SCENE_TARGETS = ['auto', 'on', 'off', 'keep'] as const;
export type SceneTarget = (typeof SCENE_TARGETS)[number];

const Target = (description: string, def: SceneTarget) => StringEnum(SCENE_TARGETS, { default: def, description });

const SceneSchema = (
  d: {
    freshAir: SceneTarget;
    lights: SceneTarget;
    screenLights: SceneTarget;
    panel: 'on' | 'off' | 'keep';
    curtains: 'open' | 'close' | 'keep';
  },
  description: string,
) =>
  Type.Object(
    {
      freshAir: Target('Fresh air: auto = by CO₂ (freshAir rule).', d.freshAir),
      lights: Target('Lights: auto = by desk illuminance (lights rule).', d.lights),
      screenLights: Target('The lights near the screen.', d.screenLights),
      panel: StringEnum(['on', 'off', 'keep'] as const, { default: d.panel, description: 'The interactive panel.' }),
      curtains: StringEnum(['open', 'close', 'keep'] as const, {
        default: d.curtains,
        description: 'Curtains and blinds: open lets daylight count toward the desk illuminance; close for projection.',
      }),
    },
    { additionalProperties: false, default: {}, description },
  );

export const RoomSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Drive the room: scenes, fresh air by CO₂, lights by desk illuminance.',
    }),
    stage: StringEnum(['primary', 'junior', 'senior'] as const, {
      default: 'primary',
      description: 'School stage: fresh air per student (GB/T 17226) and CO₂ exhaled per student.',
    }),
    classSize: Type.Integer({
      minimum: 1,
      maximum: 80,
      default: 40,
      description: 'Students in the class, when the morning check has not counted them.',
    }),
    volumeM3: Type.Number({
      minimum: 20,
      maximum: 2000,
      default: 200,
      description: 'Room volume, m³ (floor area × clear height; GB 50099: about 65 m² × 3.1 m).',
    }),
    outdoorCo2Ppm: Type.Integer({ minimum: 300, maximum: 800, default: 430, description: 'Outdoor CO₂, ppm.' }),
    infiltrationAch: Type.Number({
      minimum: 0,
      maximum: 5,
      default: 0.5,
      description: 'Air changes per hour through the closed windows and doors.',
    }),
    switches: Type.Array(
      Type.Object(
        {
          id: DeviceId({ description: 'The switch, by the id its driver gives it.' }),
          label: Type.Optional(
            Type.String({ minLength: 1, maxLength: 40, description: 'Its name on the kiosk, e.g. 前排灯.' }),
          ),
          role: StringEnum(SWITCH_ROLES, {
            description:
              'fresh-air: a fresh-air unit; lights: classroom lights; screen-lights: the row near the screen (dimmed for projection); other: only by hand.',
          }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'The switched outputs of the room.' },
    ),
    curtains: Type.Array(
      Type.Object(
        {
          id: DeviceId({ description: 'The curtain, e.g. curtain-window.' }),
          label: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Its name on the kiosk.' })),
          openSwitch: DeviceId({ description: 'The relay that runs the motor open (not also in switches).' }),
          closeSwitch: DeviceId({ description: 'The relay that runs the motor closed (not also in switches).' }),
          travelS: Type.Integer({
            minimum: 1,
            maximum: 300,
            default: 30,
            description: 'Seconds from fully closed to fully open; the motor is stopped after it.',
          }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Curtain and screen motors, each on two relays (never both on).' },
    ),
    freshAir: Type.Object(
      {
        unitM3h: Type.Integer({
          minimum: 0,
          maximum: 10000,
          default: 1000,
          description:
            "The fresh-air units' rated flow together, m³/h: checked against the class (the sizing warning).",
        }),
        onAtPpm: Type.Integer({ minimum: 450, maximum: 5000, default: 800, description: 'Switch on at this CO₂.' }),
        offAtPpm: Type.Integer({ minimum: 400, maximum: 5000, default: 650, description: 'Switch off at this CO₂.' }),
        minOnS: Type.Integer({ minimum: 0, maximum: 3600, default: 300, description: 'Shortest run once on.' }),
        minOffS: Type.Integer({ minimum: 0, maximum: 3600, default: 180, description: 'Shortest pause once off.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    lights: Type.Object(
      {
        targetLx: Type.Integer({
          minimum: 50,
          maximum: 2000,
          default: 300,
          description: 'Desk illuminance to keep (GB 7793: maintained average ≥ 300 lx).',
        }),
        lightsLx: Type.Integer({
          minimum: 10,
          maximum: 2000,
          default: 350,
          description: 'What the lights add on the desks, lx (measure once: lights on minus off, at night).',
        }),
        hysteresisLx: Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'Margin against flicker.' }),
        minOnS: Type.Integer({ minimum: 0, maximum: 3600, default: 120, description: 'Shortest time on.' }),
        minOffS: Type.Integer({ minimum: 0, maximum: 3600, default: 120, description: 'Shortest time off.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    timetableScenes: Type.Boolean({
      default: true,
      description: 'Start 上课 at each lesson, 下课 at its end, 离开 after the last lesson of the day.',
    }),
    leaveAfterMin: Type.Integer({
      minimum: 0,
      maximum: 240,
      default: 30,
      description: 'Minutes after the last lesson of the day when 离开 starts.',
    }),
    overrideMinutes: Type.Integer({
      minimum: 5,
      maximum: 240,
      default: 45,
      description: "How long a teacher's change lasts outside a lesson (in a lesson: until it ends).",
    }),
    scenes: Type.Object(
      {
        lesson: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'auto', panel: 'on', curtains: 'open' },
          '上课',
        ),
        break: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'auto', panel: 'keep', curtains: 'keep' },
          '下课',
        ),
        projection: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'off', panel: 'on', curtains: 'close' },
          '投影/观影',
        ),
        leave: SceneSchema(
          { freshAir: 'off', lights: 'off', screenLights: 'off', panel: 'off', curtains: 'keep' },
          '离开',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type RoomConfig = Static<typeof RoomSchema>;
