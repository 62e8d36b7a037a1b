import { CappedMap } from './capped-map.js';
import { monoNow } from '../clock.js';

/**
 * Failed logins per source address. Each wrong secret costs the appliance a slow hash (scrypt on
 * the thread pool), so an address that keeps failing is refused without one until its window ends.
 * Device secrets are long and random: the point is the appliance's CPU, not guessing.
 */
export class LoginThrottle {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #failures: CappedMap<string, { since: number; n: number }>;

  constructor(o: { maxFailures: number; windowMs: number; maxKeys: number }) {
    this.#max = o.maxFailures;
    this.#windowMs = o.windowMs;
    this.#failures = new CappedMap(o.maxKeys);
  }

  /** Milliseconds until `source` may try again, or 0 when it may now. */
  blockedFor(source: string, now = monoNow()): number {
    const f = this.#failures.get(source);
    if (!f) return 0;
    if (now - f.since >= this.#windowMs) {
      this.#failures.delete(source);
      return 0;
    }
    return f.n >= this.#max ? f.since + this.#windowMs - now : 0;
  }

  failed(source: string, now = monoNow()): void {
    const f = this.#failures.get(source);
    if (!f || now - f.since >= this.#windowMs) this.#failures.set(source, { since: now, n: 1 });
    else f.n++;
  }
}
