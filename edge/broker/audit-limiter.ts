import { CappedMap } from './capped-map.js';

export interface AuditLimits {
  /** Rows written per key (a source address, a device) in one window. */
  perKey: number;
  /** Rows written for all keys together in one window. */
  total: number;
  /** How many distinct keys are remembered within a window. */
  maxKeys: number;
}

export interface SuppressedSummary {
  /** Denials counted but not written one by one in the window that ended. */
  suppressed: number;
  /** Distinct keys among them (at most `maxKeys` are told apart). */
  keys: number;
  /** The keys with the most suppressed denials, most first. */
  top: { key: string; count: number }[];
}

/**
 * Decides which denials are written to the audit log one by one. A flood of refused connections
 * costs no secret check, so without this each one would be an fsync'd, undeletable row: the first
 * `perKey` denials of each source and `total` of all sources per window are written; the rest
 * are counted and written as one summary row when the window ends. Rows per window are bounded
 * by `total + 1` whatever arrives.
 */
export class AuditLimiter {
  readonly #limits: AuditLimits;
  #written = 0;
  #writtenPerKey: CappedMap<string, number>;
  #suppressedPerKey: CappedMap<string, number>;
  #suppressed = 0;

  constructor(limits: AuditLimits) {
    this.#limits = limits;
    this.#writtenPerKey = new CappedMap(limits.maxKeys);
    this.#suppressedPerKey = new CappedMap(limits.maxKeys);
  }

  /** True: write this denial now. False: it is counted into the window's summary. */
  admit(key: string): boolean {
    const n = this.#writtenPerKey.get(key) ?? 0;
    if (n < this.#limits.perKey && this.#written < this.#limits.total) {
      this.#writtenPerKey.set(key, n + 1);
      this.#written++;
      return true;
    }
    this.#suppressed++;
    this.#suppressedPerKey.set(key, (this.#suppressedPerKey.get(key) ?? 0) + 1);
    return false;
  }

  /** End the window: what was suppressed in it (undefined when nothing was), and start afresh. */
  roll(): SuppressedSummary | undefined {
    const summary: SuppressedSummary | undefined =
      this.#suppressed === 0
        ? undefined
        : {
            suppressed: this.#suppressed,
            keys: this.#suppressedPerKey.size,
            top: [...this.#suppressedPerKey]
              .sort((a, b) => b[1] - a[1])
              .slice(0, 10)
              .map(([key, count]) => ({ key, count })),
          };
    this.#written = 0;
    this.#suppressed = 0;
    this.#writtenPerKey = new CappedMap(this.#limits.maxKeys);
    this.#suppressedPerKey = new CappedMap(this.#limits.maxKeys);
    return summary;
  }
}
