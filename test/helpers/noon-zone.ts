/**
 * A fixed-offset zone where it is about noon now, so a test's lessons (local times of one day)
 * fit in the local day whenever it runs (Etc/GMT-8 is UTC+8: the POSIX sign).
 */
export function noonZone(now = Date.now()): string {
  const offset = 12 - new Date(now).getUTCHours();
  return offset === 0 ? 'Etc/GMT' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/** A minute of the day as HH:MM. */
export const hhmm = (minuteOfDay: number): string =>
  `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
