import type { SwitchState } from './switch.js';
import { whyText, type Why } from './why.js';

/**
 * What every automatic rule of the room shares: the switch is taken to be as last commanded while
 * its state is unknown (its driver is still writing it, so the rule does not start it twice), and it
 * is never switched sooner than `minOnS` after switching on or `minOffS` after switching off.
 */
export interface RuleDecision {
  /** Switch to this, or undefined to leave it as it is. */
  switchTo: boolean | undefined;
  /** Why, for the kiosk's "why" line (in the teacher's language). */
  why: Why;
  /** The same in English, for the audit log and technicians. */
  reason: string;
  /** While a minimum time holds a switch back: when it may happen (monotonic ms). */
  heldUntil?: number;
}

export class MinimumTimes {
  readonly #minOnS: number;
  readonly #minOffS: number;
  #last: { at: number; on: boolean } | undefined;

  constructor(minOnS: number, minOffS: number) {
    this.#minOnS = minOnS;
    this.#minOffS = minOffS;
  }

  /** The switch's state as the rule judges it. */
  current(state: SwitchState): boolean {
    return state === 'unknown' ? (this.#last?.on ?? false) : state === 'on';
  }

  /** Switched by someone else (a scene, the teacher): its minimum time counts from now. */
  switched(on: boolean, at: number): void {
    this.#last = { at, on };
  }

  /** `want` differs from `on`: switch now, or say until when the minimum time holds it. */
  change(on: boolean, want: boolean, now: number, why: Why): RuleDecision {
    const minS = on ? this.#minOnS : this.#minOffS;
    const since = this.#last?.on === on ? this.#last.at : undefined;
    if (since !== undefined && now - since < minS * 1000)
      return decision(undefined, { code: on ? 'held-on' : 'held-off', n: minS }, since + minS * 1000);
    this.#last = { at: now, on: want };
    return decision(want, why);
  }
}

export function decision(switchTo: boolean | undefined, why: Why, heldUntil?: number): RuleDecision {
  return { switchTo, why, reason: whyText(why), ...(heldUntil !== undefined ? { heldUntil } : {}) };
}
