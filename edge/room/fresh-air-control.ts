import type { SwitchState } from './switch.js';

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

export interface FreshAirDecision {
  /** Switch to this, or undefined to leave the fan as it is. */
  switchTo: boolean | undefined;
  /** Why, in words a technician reads in the audit log and the kiosk's "why" line. */
  reason: string;
  /** While a minimum time holds a switch back: when it may happen (monotonic ms). */
  heldUntil?: number;
}

export class FreshAirControl {
  readonly rule: FreshAirRule;
  /** When this controller last switched the fan, and to what (monotonic ms). */
  #lastSwitch: { at: number; on: boolean } | undefined;

  constructor(rule: FreshAirRule = DEFAULT_FRESH_AIR_RULE) {
    if (!(rule.offAtPpm < rule.onAtPpm))
      throw new Error(`fresh air: offAtPpm (${rule.offAtPpm}) must be below onAtPpm (${rule.onAtPpm})`);
    this.rule = rule;
  }

  /** The fan was switched by someone else (a scene, the teacher): its minimum times count from now. */
  switched(on: boolean, at: number): void {
    this.#lastSwitch = { at, on };
  }

  decide(ppm: number | undefined, fan: SwitchState, now: number): FreshAirDecision {
    if (ppm === undefined) return { switchTo: undefined, reason: 'no recent CO₂ reading' };
    // A fan whose state is unknown is taken to be as last commanded: its driver is still writing it.
    const on = fan === 'unknown' ? (this.#lastSwitch?.on ?? false) : fan === 'on';
    const r = this.rule;
    const want = on ? ppm > r.offAtPpm : ppm >= r.onAtPpm;
    if (want === on)
      return {
        switchTo: undefined,
        reason: on ? `CO₂ ${Math.round(ppm)} ppm above ${r.offAtPpm}` : `CO₂ ${Math.round(ppm)} ppm below ${r.onAtPpm}`,
      };
    const minS = on ? r.minOnS : r.minOffS;
    const since = this.#lastSwitch?.on === on ? this.#lastSwitch.at : undefined;
    if (since !== undefined && now - since < minS * 1000)
      return {
        switchTo: undefined,
        reason: `${on ? 'stays on' : 'stays off'} for at least ${minS} s after switching`,
        heldUntil: since + minS * 1000,
      };
    this.#lastSwitch = { at: now, on: want };
    return {
      switchTo: want,
      reason: want
        ? `CO₂ ${Math.round(ppm)} ppm reached ${r.onAtPpm}`
        : `CO₂ ${Math.round(ppm)} ppm fell to ${r.offAtPpm}`,
    };
  }
}
