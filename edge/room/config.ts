import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../config/string-enum.js';
import { DeviceId } from '../config/device-id.js';
import { label, type EnumLabels, type Labelled } from '../config/labels.js';

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

const SWITCH_ROLE_LABELS: EnumLabels<SwitchRole> = {
  'fresh-air': ['新风', 'Fresh air'],
  lights: ['灯光', 'Lights'],
  'screen-lights': ['屏幕前灯光', 'Lights by the screen'],
  other: ['其他（仅手动）', 'Other (by hand only)'],
};

const KEEP: EnumLabels<'keep'> = { keep: ['保持不变', 'Keep as it is'] };
const ON_OFF: EnumLabels<'on' | 'off'> = { on: ['开', 'On'], off: ['关', 'Off'] };
const TARGET_LABELS: EnumLabels<SceneTarget> = { auto: ['自动', 'Automatic'], ...ON_OFF, ...KEEP };

const Target = (description: string, def: SceneTarget, labels: Labelled) =>
  StringEnum(SCENE_TARGETS, { default: def, description, ...labels });

const SceneSchema = (
  d: {
    freshAir: SceneTarget;
    lights: SceneTarget;
    screenLights: SceneTarget;
    panel: 'on' | 'off' | 'keep';
    curtains: 'open' | 'close' | 'keep';
  },
  description: string,
  labels: Labelled,
) =>
  Type.Object(
    {
      freshAir: Target(
        'Fresh air: auto = by CO₂ (freshAir rule).',
        d.freshAir,
        label('新风', 'Fresh air', '新风机：“自动”即按二氧化碳浓度控制（`room.freshAir`）。', TARGET_LABELS),
      ),
      lights: Target(
        'Lights: auto = by desk illuminance (lights rule).',
        d.lights,
        label('灯光', 'Lights', '教室灯光：“自动”即按课桌照度控制（`room.lights`）。', TARGET_LABELS),
      ),
      screenLights: Target(
        'The lights near the screen.',
        d.screenLights,
        label('屏幕前灯光', 'Lights by the screen', '靠近屏幕的那排灯。', TARGET_LABELS),
      ),
      panel: StringEnum(['on', 'off', 'keep'] as const, {
        default: d.panel,
        description: 'The interactive panel.',
        ...label('交互大屏', 'Interactive panel', '教室里的交互平板（大屏）。', {
          on: ['开机', 'On'],
          off: ['关机', 'Off'],
          ...KEEP,
        }),
      }),
      curtains: StringEnum(['open', 'close', 'keep'] as const, {
        default: d.curtains,
        description: 'Curtains and blinds: open lets daylight count toward the desk illuminance; close for projection.',
        ...label('窗帘', 'Curtains', '窗帘和百叶：打开时自然光计入课桌照度；投影时关上。', {
          open: ['打开', 'Open'],
          close: ['关闭', 'Close'],
          ...KEEP,
        }),
      }),
    },
    { additionalProperties: false, default: {}, description, ...labels },
  );

export const RoomSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Drive the room: scenes, fresh air by CO₂, lights by desk illuminance.',
      ...label(
        '启用教室控制',
        'Control the room',
        '由本机控制教室设备：切换场景，按二氧化碳浓度开关新风，按课桌照度开关灯光。',
      ),
    }),
    stage: StringEnum(['primary', 'junior', 'senior'] as const, {
      default: 'primary',
      description: 'School stage: fresh air per student (GB/T 17226) and CO₂ exhaled per student.',
      ...label('学段', 'School stage', '学段决定每名学生所需的新风量（GB/T 17226）和呼出的二氧化碳量。', {
        primary: ['小学', 'Primary school'],
        junior: ['初中', 'Junior secondary'],
        senior: ['高中', 'Senior secondary'],
      }),
    }),
    classSize: Type.Integer({
      minimum: 1,
      maximum: 80,
      default: 40,
      description: 'Students in the class, when the morning check has not counted them.',
      ...label('班级人数', 'Class size', '班级学生人数，晨检尚未统计出人数时使用。'),
    }),
    volumeM3: Type.Number({
      minimum: 20,
      maximum: 2000,
      default: 200,
      description: 'Room volume, m³ (floor area × clear height; GB 50099: about 65 m² × 3.1 m).',
      ...label('教室容积（m³）', 'Room volume (m³)', '教室容积，即地面面积 × 净高（GB 50099：约 65 m² × 3.1 m）。'),
    }),
    outdoorCo2Ppm: Type.Integer({
      minimum: 300,
      maximum: 800,
      default: 430,
      description: 'Outdoor CO₂, ppm.',
      ...label('室外二氧化碳（ppm）', 'Outdoor CO₂ (ppm)', '室外空气的二氧化碳浓度。'),
    }),
    infiltrationAch: Type.Number({
      minimum: 0,
      maximum: 5,
      default: 0.5,
      description: 'Air changes per hour through the closed windows and doors.',
      ...label(
        '门窗渗透换气（次/小时）',
        'Infiltration (air changes per hour)',
        '门窗关闭时，每小时通过缝隙渗透的换气次数。',
      ),
    }),
    switches: Type.Array(
      Type.Object(
        {
          id: DeviceId({
            description: 'The switch, by the id its driver gives it.',
            ...label('开关编号', 'Switch ID', '开关的编号，即它的驱动给它的 id。'),
          }),
          label: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 40,
              description: 'Its name on the kiosk, e.g. 前排灯.',
              ...label('面板上的名称', 'Name on the panel', '在教师面板上显示的名称，例如“前排灯”。'),
            }),
          ),
          role: StringEnum(SWITCH_ROLES, {
            description:
              'fresh-air: a fresh-air unit; lights: classroom lights; screen-lights: the row near the screen (dimmed for projection); other: only by hand.',
            ...label(
              '用途',
              'Role',
              '新风：新风机；灯光：教室照明；屏幕前灯光：靠近屏幕的一排灯（投影时调暗）；其他：只手动开关。',
              SWITCH_ROLE_LABELS,
            ),
          }),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description: 'The switched outputs of the room.',
        ...label('开关', 'Switches', '教室里受控的各路开关输出。'),
      },
    ),
    curtains: Type.Array(
      Type.Object(
        {
          id: DeviceId({
            description: 'The curtain, e.g. curtain-window.',
            ...label('窗帘编号', 'Curtain ID', '窗帘的编号，例如 `curtain-window`。'),
          }),
          label: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 40,
              description: 'Its name on the kiosk.',
              ...label('面板上的名称', 'Name on the panel', '在教师面板上显示的名称。'),
            }),
          ),
          openSwitch: DeviceId({
            description: 'The relay that runs the motor open (not also in switches).',
            ...label('打开继电器', 'Open relay', '让电机往打开方向转的继电器（不要同时列在开关里）。'),
          }),
          closeSwitch: DeviceId({
            description: 'The relay that runs the motor closed (not also in switches).',
            ...label('关闭继电器', 'Close relay', '让电机往关闭方向转的继电器（不要同时列在开关里）。'),
          }),
          travelS: Type.Integer({
            minimum: 1,
            maximum: 300,
            default: 30,
            description: 'Seconds from fully closed to fully open; the motor is stopped after it.',
            ...label('全程时间（秒）', 'Travel time (s)', '从全关到全开需要的秒数；到时间后电机停止。'),
          }),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description: 'Curtain and screen motors, each on two relays (never both on).',
        ...label('窗帘', 'Curtains', '窗帘和幕布的电机，每台接两路继电器（两路绝不会同时接通）。'),
      },
    ),
    freshAir: Type.Object(
      {
        unitM3h: Type.Integer({
          minimum: 0,
          maximum: 10000,
          default: 1000,
          description:
            "The fresh-air units' rated flow together, m³/h: checked against the class (the sizing warning).",
          ...label(
            '新风总风量（m³/h）',
            'Fresh-air flow (m³/h)',
            '所有新风机额定风量之和；用它核对新风量够不够全班使用（风量不足提示）。',
          ),
        }),
        onAtPpm: Type.Integer({
          minimum: 450,
          maximum: 5000,
          default: 800,
          description: 'Switch on at this CO₂.',
          ...label('开启浓度（ppm）', 'On at (ppm)', '二氧化碳达到此浓度时开启新风。'),
        }),
        offAtPpm: Type.Integer({
          minimum: 400,
          maximum: 5000,
          default: 650,
          description: 'Switch off at this CO₂.',
          ...label('关闭浓度（ppm）', 'Off at (ppm)', '二氧化碳降到此浓度时关闭新风。'),
        }),
        minOnS: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 300,
          description: 'Shortest run once on.',
          ...label('最短运行时间（秒）', 'Shortest run (s)', '新风开启后至少运行这么久。'),
        }),
        minOffS: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 180,
          description: 'Shortest pause once off.',
          ...label('最短停机时间（秒）', 'Shortest pause (s)', '新风关闭后至少停这么久。'),
        }),
      },
      { additionalProperties: false, default: {}, ...label('新风控制', 'Fresh air', '按二氧化碳浓度自动开关新风机。') },
    ),
    lights: Type.Object(
      {
        targetLx: Type.Integer({
          minimum: 50,
          maximum: 2000,
          default: 300,
          description: 'Desk illuminance to keep (GB 7793: maintained average ≥ 300 lx).',
          ...label(
            '目标照度（lx）',
            'Target illuminance (lx)',
            '要保持的课桌照度（GB 7793：维持平均照度不低于 300 lx）。',
          ),
        }),
        lightsLx: Type.Integer({
          minimum: 10,
          maximum: 2000,
          default: 350,
          description: 'What the lights add on the desks, lx (measure once: lights on minus off, at night).',
          ...label(
            '灯光照度（lx）',
            'Light from the lamps (lx)',
            '灯光在课桌上增加的照度（在夜间测一次：开灯读数减去关灯读数）。',
          ),
        }),
        hysteresisLx: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 100,
          description: 'Margin against flicker.',
          ...label('回差（lx）', 'Hysteresis (lx)', '防止灯光反复开关的余量。'),
        }),
        minOnS: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 120,
          description: 'Shortest time on.',
          ...label('最短开灯时间（秒）', 'Shortest time on (s)', '开灯后至少亮这么久。'),
        }),
        minOffS: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 120,
          description: 'Shortest time off.',
          ...label('最短关灯时间（秒）', 'Shortest time off (s)', '关灯后至少关这么久。'),
        }),
      },
      { additionalProperties: false, default: {}, ...label('灯光控制', 'Lights', '按课桌照度自动开关教室灯光。') },
    ),
    timetableScenes: Type.Boolean({
      default: true,
      description: 'Start 上课 at each lesson, 下课 at its end, 离开 after the last lesson of the day.',
      ...label(
        '按课表切换场景',
        'Scenes by the timetable',
        '每节课开始时切换到“上课”，下课时切换到“下课”，当天最后一节课后切换到“离开”。',
      ),
    }),
    leaveAfterMin: Type.Integer({
      minimum: 0,
      maximum: 240,
      default: 30,
      description: 'Minutes after the last lesson of the day when 离开 starts.',
      ...label('离开场景延后（分钟）', 'Leave after (minutes)', '当天最后一节课结束后多少分钟进入“离开”场景。'),
    }),
    overrideMinutes: Type.Integer({
      minimum: 5,
      maximum: 240,
      default: 45,
      description: "How long a teacher's change lasts outside a lesson (in a lesson: until it ends).",
      ...label(
        '手动操作保持（分钟）',
        'Manual change lasts (minutes)',
        '课外时间老师手动改动后保持多久（上课时则保持到下课）。',
      ),
    }),
    scenes: Type.Object(
      {
        lesson: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'auto', panel: 'on', curtains: 'open' },
          '上课',
          label('上课', 'Lesson', '“上课”场景下各组设备的动作。'),
        ),
        break: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'auto', panel: 'keep', curtains: 'keep' },
          '下课',
          label('下课', 'Break', '“下课”场景下各组设备的动作。'),
        ),
        projection: SceneSchema(
          { freshAir: 'auto', lights: 'auto', screenLights: 'off', panel: 'on', curtains: 'close' },
          '投影/观影',
          label('投影/观影', 'Projection', '“投影/观影”场景下各组设备的动作。'),
        ),
        leave: SceneSchema(
          { freshAir: 'off', lights: 'off', screenLights: 'off', panel: 'off', curtains: 'keep' },
          '离开',
          label('离开', 'Leave', '“离开”场景（放学后）下各组设备的动作。'),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('场景', 'Scenes', '每个场景下新风、灯光、大屏和窗帘的动作。'),
      },
    ),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '教室设备控制',
      'Room control',
      '场景，以及按二氧化碳浓度控制新风、按课桌照度控制灯光（见 `docs/room-control.md`）。',
    ),
  },
);
export type RoomConfig = Static<typeof RoomSchema>;
