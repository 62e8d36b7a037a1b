/**
 * Benchmarks that cannot lie: a figure computed from nothing (no bytes counted, no frame analysed,
 * no row committed, an empty sample) fails the run instead of being recorded as a flattering number.
 * `sync_wire_ratio` was 0 for a whole round because the bytes were counted where the client no longer
 * sent them; every producer measures through these, and `run.ts` checks every figure before it is written.
 */

/** What a benchmark throws when it measured nothing: the run stops and records none of the group's figures. */
export class NothingMeasured extends Error {
  constructor(message: string) {
    super(`measured nothing: ${message}`);
    this.name = 'NothingMeasured';
  }
}

/** `n` when it is a finite amount > 0 (bytes, rows, frames, seconds); else the run fails, naming `what`. */
export function measured(what: string, n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new NothingMeasured(`${what} is ${String(n)}; expected a finite amount > 0`);
  return n;
}

/** At least `atLeast` of `what` were counted (the frames a run must have analysed, the rows it must have committed). */
export function atLeast(what: string, n: number, least: number): number {
  if (!Number.isFinite(n) || n < least)
    throw new NothingMeasured(`${what} is ${String(n)}; expected at least ${least}`);
  return n;
}

/** The sample when it holds at least `min` values, every one a finite number; else the run fails. */
export function sampled(what: string, values: readonly number[], min = 1): readonly number[] {
  if (values.length < min) throw new NothingMeasured(`${what}: ${values.length} values; expected at least ${min}`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad !== -1) throw new NothingMeasured(`${what}: value ${bad + 1} is ${String(values[bad])}; expected a number`);
  return values;
}

/** The `p`th percentile (nearest rank) of a guarded sample. */
export function percentile(what: string, values: readonly number[], p: number): number {
  const s = [...sampled(what, values)].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** The median (the upper one of an even sample, as the figures always used) of a guarded sample. */
export function median(what: string, values: readonly number[]): number {
  const s = [...sampled(what, values)].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** `num / den` when both were measured (a ratio of nothing to something is not a ratio). */
export function ratio(what: string, num: number, den: number): number {
  return measured(what, measured(`${what}: numerator`, num) / measured(`${what}: denominator`, den));
}

/**
 * Every figure a group returned, checked before it is recorded: each one it declares is there, each
 * is a finite number, and each is greater than zero unless the group lists it in `mayBeZero` (a
 * figure for which 0 is a real answer, such as records lost). Returns the figures unchanged.
 */
export function checkFigures(
  group: { figures: readonly string[]; mayBeZero?: readonly string[] },
  values: Record<string, number>,
): Record<string, number> {
  const problems: string[] = [];
  for (const name of group.figures) if (!(name in values)) problems.push(`${name} is missing`);
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${name} is ${String(v)}; expected a number`);
    else if (v <= 0 && !group.mayBeZero?.includes(name)) problems.push(`${name} is ${v}; expected > 0`);
  }
  if (problems.length > 0) throw new NothingMeasured(problems.join('; '));
  return values;
}
