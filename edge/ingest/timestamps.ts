/**
 * The earliest time a record may carry. Nothing measured before the product existed is real: a
 * timestamp before it is a device (or an appliance) whose clock was never set, or a forged or
 * corrupt message. Records carry their day to the district, where an impossible day (year 0, or
 * "-000001") used to stop the whole stream.
 */
export const EARLIEST_RECORD_MS = Date.UTC(2020, 0, 1);
export const EARLIEST_RECORD_ISO = '2020-01-01';

/** Default for `mqtt.maxClockSkewMs`: how far ahead of the appliance's clock a device's time may be. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** The accepted range in words, for a refusal: "a time from 2020-01-01 to 300 s after the appliance's clock (...)". */
export function timestampRange(now: number, skewMs = DEFAULT_MAX_SKEW_MS): string {
  return `a time from ${EARLIEST_RECORD_ISO} to ${Math.round(skewMs / 1000)} s after the appliance's clock (${isoOr(now + skewMs)})`;
}

/** Whether `ts` (ms since the epoch) can be a record's time: from 2020-01-01 to `skewMs` after `now`. */
export function timestampInRange(ts: number, now: number, skewMs = DEFAULT_MAX_SKEW_MS): boolean {
  return Number.isFinite(ts) && ts >= EARLIEST_RECORD_MS && ts <= now + skewMs;
}

/** Why `ts` cannot be a record's time (`field` named first), or undefined when it can. */
export function timestampProblem(
  field: string,
  ts: number,
  now: number,
  skewMs = DEFAULT_MAX_SKEW_MS,
): string | undefined {
  if (timestampInRange(ts, now, skewMs)) return undefined;
  return `${field}: expected ${timestampRange(now, skewMs)}, got ${Number.isFinite(ts) ? isoOr(ts) : 'an invalid time'}`;
}

/** ISO 8601 of `ms`, or the number itself when it is outside what a Date can hold. */
export function isoOr(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** The UTC day (YYYY-MM-DD) of `ms`; a time a Date cannot hold gives 'invalid', which the district refuses by name. */
export function utcDay(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'invalid' : d.toISOString().slice(0, 10);
}
