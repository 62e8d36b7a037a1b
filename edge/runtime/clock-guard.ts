import type { ClockReading, ClockState } from '../store/repos/clock.js';

export type ClockVerdict = { trusted: true } | { trusted: false; reason: string; driftMs: number | undefined };

export interface ClockLimits {
  /** How far the wall clock may move against the monotonic clock, or sit behind what it stamped. */
  toleranceMs: number;
  /** After a reboot (no monotonic time to compare), how far ahead of the last trusted moment it may be. */
  maxOffMs: number;
}

/** "+730 d 0 h", "-1 h 0 min", "+45 s": a clock move for people. */
export function formatShift(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  // Whole seconds: a jump of an hour measured a few milliseconds short is still "1 h 0 min".
  const a = Math.round(Math.abs(ms) / 1000) * 1000;
  const d = Math.floor(a / 86_400_000);
  const h = Math.floor((a % 86_400_000) / 3_600_000);
  const m = Math.floor((a % 3_600_000) / 60_000);
  if (d > 0) return `${sign}${d} d ${h} h`;
  if (h > 0) return `${sign}${h} h ${m} min`;
  if (m > 0) return `${sign}${m} min`;
  return `${sign}${a / 1000} s`;
}

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/**
 * Whether the wall clock can be believed now, for deciding what is old enough to purge.
 * - Same boot as the last trusted moment: the wall clock must have advanced as much as the
 *   monotonic clock did, within the tolerance. A bad RTC read, an unauthenticated NTP answer or a
 *   hand-set clock shows as the difference.
 * - Another boot (monotonic times do not compare): the wall clock must not be behind the last
 *   trusted moment, nor further ahead of it than `maxOffMs` (how long a box may plausibly be off).
 * - Nothing trusted yet: it must not be behind the newest audit record by more than the tolerance.
 */
export function judgeClock(o: {
  state: ClockState | undefined;
  now: ClockReading;
  newestRecord: number | undefined;
  limits: ClockLimits;
}): ClockVerdict {
  const { now, limits } = o;
  const t = o.state?.trusted;
  if (t && t.boot === now.boot) {
    const drift = now.wall - t.wall - (now.mono - t.mono);
    if (Math.abs(drift) > limits.toleranceMs)
      return {
        trusted: false,
        reason: `the wall clock moved ${formatShift(drift)} against the monotonic clock since ${iso(t.wall)} (now ${iso(now.wall)})`,
        driftMs: drift,
      };
  } else if (t) {
    if (now.wall < t.wall - limits.toleranceMs)
      return {
        trusted: false,
        reason: `after a restart the wall clock (${iso(now.wall)}) is behind the last trusted time ${iso(t.wall)}`,
        driftMs: now.wall - t.wall,
      };
    if (now.wall - t.wall > limits.maxOffMs)
      return {
        trusted: false,
        reason: `after a restart the wall clock (${iso(now.wall)}) is ${formatShift(now.wall - t.wall)} ahead of the last trusted time ${iso(t.wall)}, more than retention.clockMaxOffDays`,
        driftMs: undefined,
      };
  }
  // With nothing trusted yet (first run after the upgrade), what the clock stamped is the only reference.
  if (!t && o.newestRecord !== undefined && now.wall < o.newestRecord - limits.toleranceMs)
    return {
      trusted: false,
      reason: `the wall clock (${iso(now.wall)}) is behind the newest audit record (${iso(o.newestRecord)})`,
      driftMs: now.wall - o.newestRecord,
    };
  return { trusted: true };
}
