import type { SwitchState } from './switch.js';
import { decision, MinimumTimes, type RuleDecision } from './switch-rule.js';

/**
 * Fresh air by CO₂: on at `onAtPpm`, off at `offAtPpm` (hysteresis), and never switched sooner than
 * `minOnS` after switching on or `minOffS` after switching off, so a fan motor is not started every
 * few seconds while the reading hovers near a threshold (docs/room-control.md).
 *
 * A decision function, with no clock or I/O of its own: the room service feeds it the room's CO₂
 * and the fan's confirmed state on monotonic time, and carries out what it decides.
 */
export interface FreshAirRule {
  onAtPpm: number;
  offAtPpm: number;
  minOnS: number;
  minOffS: number;
}

export const DEFAULT_FRESH_AIR_RULE: FreshAirRule = { onAtPpm: 800, offAtPpm: 650, minOnS: 300, minOffS: 180 };

export type FreshAirDecision = RuleDecision;

export class FreshAirControl {
  readonly rule: FreshAirRule;
  readonly #times: MinimumTimes;

  constructor(rule: FreshAirRule = DEFAULT_FRESH_AIR_RULE) {
    if (!(rule.offAtPpm < rule.onAtPpm))
      throw new Error(`fresh air: offAtPpm (${rule.offAtPpm}) must be below onAtPpm (${rule.onAtPpm})`);
    this.rule = rule;
    this.#times = new MinimumTimes(rule.minOnS, rule.minOffS);
  }

  /** The fan was switched by someone else (a scene, the teacher): its minimum times count from now. */
  switched(on: boolean, at: number): void {
    this.#times.switched(on, at);
  }

  decide(ppm: number | undefined, fan: SwitchState, now: number): FreshAirDecision {
    if (ppm === undefined) return decision(undefined, { code: 'no-co2' });
    const on = this.#times.current(fan);
    const r = this.rule;
    const c = Math.round(ppm);
    const want = on ? ppm > r.offAtPpm : ppm >= r.onAtPpm;
    if (want === on)
      return decision(
        undefined,
        on ? { code: 'co2-above', n: c, m: r.offAtPpm } : { code: 'co2-below', n: c, m: r.onAtPpm },
      );
    return this.#times.change(
      on,
      want,
      now,
      want ? { code: 'co2-reached', n: c, m: r.onAtPpm } : { code: 'co2-fell', n: c, m: r.offAtPpm },
    );
  }
}
