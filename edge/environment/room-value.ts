/**
 * One value per quantity for the room, from its sensors, the same on every screen and for the room's
 * rules: the worst corner for what is breathed or heard (a pollutant is as bad as its worst reading,
 * so the teacher is told to ventilate when one corner needs it), the average for temperature,
 * humidity and light. Only sensors heard within the last 10 minutes speak for the room. Pure, so the
 * kiosk (live readings) and the appliance (its latest values) compute it the same way.
 */
export const ROOM_VALUE_STALE_MS = 10 * 60_000;

const WORST_IS_HIGHEST = new Set(['co2_ppm', 'pm25_ugm3', 'pm10_ugm3', 'tvoc_ppb', 'hcho_mgm3', 'noise_dba']);

export function roomValueOf(
  metric: string,
  values: Iterable<{ value: number; ts: number }>,
  now: number,
): number | undefined {
  const fresh = [...values].filter((v) => now - v.ts < ROOM_VALUE_STALE_MS).map((v) => v.value);
  if (fresh.length === 0) return undefined;
  return WORST_IS_HIGHEST.has(metric) ? Math.max(...fresh) : fresh.reduce((a, b) => a + b, 0) / fresh.length;
}
