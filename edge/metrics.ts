/**
 * Known measured quantities: canonical name, unit and the range a working sensor can report.
 * A value outside the range is a broken sensor or a bad payload, not weather: it is rejected and
 * counted, never stored as data. Names carry the unit so that a number is never ambiguous.
 */
export interface MetricSpec {
  unit: string;
  min: number;
  max: number;
  label: { 'zh-CN': string; en: string };
}

export const METRICS: Readonly<Record<string, MetricSpec>> = {
  co2_ppm: { unit: 'ppm', min: 250, max: 10000, label: { 'zh-CN': '二氧化碳', en: 'CO₂' } },
  temperature_c: { unit: '°C', min: -40, max: 85, label: { 'zh-CN': '温度', en: 'Temperature' } },
  humidity_pct: { unit: '%RH', min: 0, max: 100, label: { 'zh-CN': '湿度', en: 'Humidity' } },
  pm25_ugm3: { unit: 'µg/m³', min: 0, max: 1000, label: { 'zh-CN': 'PM2.5', en: 'PM2.5' } },
  pm10_ugm3: { unit: 'µg/m³', min: 0, max: 2000, label: { 'zh-CN': 'PM10', en: 'PM10' } },
  tvoc_ppb: { unit: 'ppb', min: 0, max: 60000, label: { 'zh-CN': 'TVOC', en: 'TVOC' } },
  hcho_mgm3: { unit: 'mg/m³', min: 0, max: 5, label: { 'zh-CN': '甲醛', en: 'Formaldehyde' } },
  noise_dba: { unit: 'dB(A)', min: 20, max: 140, label: { 'zh-CN': '噪声', en: 'Noise' } },
  illuminance_lx: { unit: 'lx', min: 0, max: 200000, label: { 'zh-CN': '照度', en: 'Illuminance' } },
};

export function metricProblem(name: string, value: unknown): string | undefined {
  const spec = METRICS[name];
  if (!spec) return `a known metric (${Object.keys(METRICS).join(', ')})`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `a finite number in ${spec.unit}`;
  if (value < spec.min || value > spec.max) return `${spec.min}..${spec.max} ${spec.unit}`;
  return undefined;
}
