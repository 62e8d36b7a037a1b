import type { SwitchState } from './switch.js';
import { MinimumTimes, type RuleDecision } from './switch-rule.js';

/**
 * Lights by desk illuminance toward GB 7793 (maintained average ≥ 300 lx): on when the desks are
 * below `targetLx`; off when daylight alone would keep them `hysteresisLx` above it, daylight being
 * the measured value less what the lights add (`lightsLx`, measured once by IT staff). Minimum on
 * and off times as for fresh air, so passing clouds do not flicker the room.
 */
export interface LightRule {
  targetLx: number;
  lightsLx: number;
  hysteresisLx: number;
  minOnS: number;
  minOffS: number;
}

export class LightControl {
  readonly rule: LightRule;
  readonly #times: MinimumTimes;

  constructor(rule: LightRule) {
    this.rule = rule;
    this.#times = new MinimumTimes(rule.minOnS, rule.minOffS);
  }

  switched(on: boolean, at: number): void {
    this.#times.switched(on, at);
  }

  decide(lx: number | undefined, lights: SwitchState, now: number): RuleDecision {
    if (lx === undefined) return { switchTo: undefined, reason: 'no recent desk illuminance reading' };
    const on = this.#times.current(lights);
    const r = this.rule;
    const daylight = on ? lx - r.lightsLx : lx;
    const want = on ? daylight < r.targetLx + r.hysteresisLx : lx < r.targetLx;
    const l = Math.round(lx);
    if (want === on)
      return {
        switchTo: undefined,
        reason: on
          ? `daylight alone about ${Math.round(daylight)} lx, below ${r.targetLx + r.hysteresisLx}`
          : `desks ${l} lx`,
      };
    return this.#times.change(
      on,
      want,
      now,
      want ? `desks ${l} lx, below ${r.targetLx}` : `daylight alone about ${Math.round(daylight)} lx`,
    );
  }
}
