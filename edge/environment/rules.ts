import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../config/string-enum.js';
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

export const RuleSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,40}$' }),
    metric: Type.String({ description: 'Metric name, e.g. co2_ppm.' }),
    window: StringEnum(WINDOWS, {
      description: 'instant = latest value; otherwise the rolling average over the window.',
    }),
    max: Type.Optional(Type.Number({ description: 'Alert when above.' })),
    min: Type.Optional(Type.Number({ description: 'Alert when below.' })),
    hysteresis: Type.Number({ minimum: 0, description: 'The alert clears only this far back inside the limit.' }),
    level: StringEnum(['warn', 'alert'] as const),
    adviceHigh: Type.Optional(StringEnum(ADVICE)),
    adviceLow: Type.Optional(StringEnum(ADVICE)),
    basis: Type.String({ description: 'Where the figure comes from.' }),
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
    }),
    minCoverage: Type.Number({
      minimum: 0.05,
      maximum: 1,
      default: 0.25,
      description:
        'Share of a rolling window that must hold data before its average is judged (a 1-h average needs 15 minutes by default).',
    }),
    deskIlluminanceMinLx: Type.Number({
      minimum: 0,
      default: 300,
      description: 'GB 7793-2010: maintained average desk illuminance.',
    }),
    deskUniformityMin: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.7,
      description: 'GB 7793-2010: minimum / average across desk light sensors.',
    }),
    haDiscovery: Type.Boolean({
      default: true,
      description: 'Publish Home Assistant MQTT discovery for every sensor seen.',
    }),
    stateIntervalMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 5000,
      description: 'At most one MQTT state update per sensor value per this interval.',
    }),
  },
  { additionalProperties: false, default: {} },
);
