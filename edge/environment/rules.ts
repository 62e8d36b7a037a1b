import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../config/string-enum.js';
import { label, type EnumLabels } from '../config/labels.js';
import { ADVICE } from '../messages.js';

export { ADVICE };

/**
 * Environment limits as configuration. The defaults are seeded from the national standards in
 * shared/domain/environment.md; every one may be overridden by a school. `basis` says where a
 * figure comes from, and "(unconfirmed)" marks those taken from secondary summaries.
 */
export type Advice = (typeof ADVICE)[number];
export const WINDOWS = ['instant', '1h', '8h', '24h'] as const;
export type Window = (typeof WINDOWS)[number];
export const WINDOW_MS: Record<Exclude<Window, 'instant'>, number> = {
  '1h': 3_600_000,
  '8h': 8 * 3_600_000,
  '24h': 24 * 3_600_000,
};

/** The advice the panel gives, as the rules' editors see it (the panel's own sentences are longer). */
const ADVICE_LABELS: EnumLabels<Advice> = {
  ventilate: ['开窗通风', 'Ventilate'],
  purify: ['开空气净化器', 'Purify the air'],
  heat: ['取暖', 'Heat'],
  cool: ['降温', 'Cool'],
  humidify: ['加湿', 'Humidify'],
  dehumidify: ['除湿', 'Dehumidify'],
  lights: ['开灯', 'Lights on'],
};

export const RuleSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,40}$',
      ...label('规则编号', 'Rule ID', '规则的唯一标识，用小写字母、数字和短横线，例如 `co2-1h`。'),
    }),
    metric: Type.String({
      description: 'Metric name, e.g. co2_ppm.',
      ...label(
        '监测指标',
        'Metric',
        '指标名称，例如 `co2_ppm`（二氧化碳）、`pm25_ugm3`（颗粒物 PM2.5）、`hcho_mgm3`（甲醛）。',
      ),
    }),
    window: StringEnum(WINDOWS, {
      description: 'instant = latest value; otherwise the rolling average over the window.',
      ...label('统计时段', 'Averaging window', '“即时值”取最新读数；其他取该时段内的滚动平均值。', {
        instant: ['即时值', 'Latest value'],
        '1h': ['1 小时均值', '1-hour average'],
        '8h': ['8 小时均值', '8-hour average'],
        '24h': ['24 小时均值', '24-hour average'],
      }),
    }),
    max: Type.Optional(
      Type.Number({ description: 'Alert when above.', ...label('上限', 'Upper limit', '高于此值时提醒。') }),
    ),
    min: Type.Optional(
      Type.Number({ description: 'Alert when below.', ...label('下限', 'Lower limit', '低于此值时提醒。') }),
    ),
    hysteresis: Type.Number({
      minimum: 0,
      description: 'The alert clears only this far back inside the limit.',
      ...label('回差', 'Hysteresis', '读数要回到限值以内这么多，提醒才解除。'),
    }),
    level: StringEnum(
      ['warn', 'alert'] as const,
      label('提醒级别', 'Level', '超限时提醒的级别。', { warn: ['注意', 'Warning'], alert: ['超标', 'Alert'] }),
    ),
    adviceHigh: Type.Optional(
      StringEnum(ADVICE, label('偏高时的建议', 'Advice when high', '超过上限时教师面板给出的建议。', ADVICE_LABELS)),
    ),
    adviceLow: Type.Optional(
      StringEnum(ADVICE, label('偏低时的建议', 'Advice when low', '低于下限时教师面板给出的建议。', ADVICE_LABELS)),
    ),
    basis: Type.String({
      description: 'Where the figure comes from.',
      ...label('依据', 'Basis', '限值的出处，例如国家标准及其条款。'),
    }),
  },
  { additionalProperties: false },
);
export type Rule = Static<typeof RuleSchema>;

export const DEFAULT_RULES: Rule[] = [
  {
    id: 'co2-ventilate-now',
    metric: 'co2_ppm',
    window: 'instant',
    max: 1000,
    hysteresis: 100,
    level: 'alert',
    adviceHigh: 'ventilate',
    basis: 'ClassEdge default: immediate level so that ventilation starts before the 1-h average is breached',
  },
  {
    id: 'co2-1h',
    metric: 'co2_ppm',
    window: '1h',
    max: 1000,
    hysteresis: 50,
    level: 'alert',
    adviceHigh: 'ventilate',
    basis: 'GB/T 18883-2022, 1-h average 0.10 %',
  },
  {
    id: 'pm25-24h',
    metric: 'pm25_ugm3',
    window: '24h',
    max: 50,
    hysteresis: 5,
    level: 'alert',
    adviceHigh: 'purify',
    basis: 'GB/T 18883-2022, 24-h average (unconfirmed)',
  },
  {
    id: 'pm10-24h',
    metric: 'pm10_ugm3',
    window: '24h',
    max: 100,
    hysteresis: 10,
    level: 'alert',
    adviceHigh: 'purify',
    basis: 'GB/T 18883-2022, 24-h average (unconfirmed)',
  },
  {
    id: 'hcho-1h',
    metric: 'hcho_mgm3',
    window: '1h',
    max: 0.08,
    hysteresis: 0.01,
    level: 'alert',
    adviceHigh: 'ventilate',
    basis: 'GB/T 18883-2022, 1-h average',
  },
  {
    id: 'tvoc-8h',
    metric: 'tvoc_ppb',
    window: '8h',
    max: 160,
    hysteresis: 15,
    level: 'warn',
    adviceHigh: 'ventilate',
    basis: 'GB/T 18883-2022 TVOC 0.60 mg/m3 (8-h), about 160 ppb as toluene equivalent (approximate: sensors differ)',
  },
  {
    id: 'temperature-1h',
    metric: 'temperature_c',
    window: '1h',
    min: 16,
    max: 28,
    hysteresis: 0.5,
    level: 'warn',
    adviceHigh: 'cool',
    adviceLow: 'heat',
    basis: 'GB/T 18883: 16-24 C heated (winter), 22-28 C cooled (summer); the default spans both seasons',
  },
  {
    id: 'humidity-1h',
    metric: 'humidity_pct',
    window: '1h',
    min: 30,
    max: 80,
    hysteresis: 2,
    level: 'warn',
    adviceHigh: 'dehumidify',
    adviceLow: 'humidify',
    basis: 'GB/T 18883: 40-80 % summer, 30-60 % winter; the default spans both seasons',
  },
];

export const EnvironmentSchema = Type.Object(
  {
    rules: Type.Array(RuleSchema, {
      default: DEFAULT_RULES,
      description: 'Limits checked against readings; replaces the whole default list when set.',
      ...label('提醒规则', 'Alert rules', '与读数比对的限值规则；一旦填写，就整体替换默认的规则列表。'),
    }),
    minCoverage: Type.Number({
      minimum: 0.05,
      maximum: 1,
      default: 0.25,
      description:
        'Share of a rolling window that must hold data before its average is judged (a 1-h average needs 15 minutes by default).',
      ...label(
        '最低数据覆盖率',
        'Least data coverage',
        '滚动时段内至少要有多大比例的时间有数据，才判断它的平均值（默认 1 小时均值需要 15 分钟的数据）。',
      ),
    }),
    deskIlluminanceMinLx: Type.Number({
      minimum: 0,
      default: 300,
      description: 'GB 7793-2010: maintained average desk illuminance.',
      ...label('课桌照度下限（lx）', 'Least desk illuminance (lx)', 'GB 7793-2010 规定的课桌面维持平均照度。'),
    }),
    deskUniformityMin: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.7,
      description: 'GB 7793-2010: minimum / average across desk light sensors.',
      ...label(
        '照度均匀度下限',
        'Least illuminance uniformity',
        'GB 7793-2010：各课桌照度传感器读数的最小值与平均值之比。',
      ),
    }),
    haDiscovery: Type.Boolean({
      default: true,
      description: 'Publish Home Assistant MQTT discovery for every sensor seen.',
      ...label(
        'Home Assistant 自动发现',
        'Home Assistant discovery',
        '为出现过的每个传感器发布 Home Assistant 的 MQTT 自动发现消息。',
      ),
    }),
    stateIntervalMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 5000,
      description: 'At most one MQTT state update per sensor value per this interval.',
      ...label(
        '状态发布间隔（毫秒）',
        'State update interval',
        '每个传感器数值在这段时间内最多发布一次 MQTT 状态更新。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('环境监测', 'Environment', '室内空气和照度的限值、提醒规则，以及传感器数据的发布。'),
  },
);
