import type { SwitchState } from './switch.js';
import { decision, MinimumTimes, type RuleDecision } from './switch-rule.js';

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
    if (lx === undefined) return decision(undefined, { code: 'no-lux' });
    const on = this.#times.current(lights);
    const r = this.rule;
    // A sensor in shade may read less than the lights alone give: daylight is then none.
    const daylight = Math.max(0, on ? lx - r.lightsLx : lx);
    const want = on ? daylight < r.targetLx + r.hysteresisLx : lx < r.targetLx;
    const l = Math.round(lx);
    const d = Math.round(daylight);
    if (want === on)
      return decision(
        undefined,
        on ? { code: 'daylight-short', n: d, m: r.targetLx + r.hysteresisLx } : { code: 'desks-ok', n: l },
      );
    return this.#times.change(
      on,
      want,
      now,
      want ? { code: 'lux-low', n: l, m: r.targetLx } : { code: 'daylight-enough', n: d },
    );
  }
}
