import { isIP } from 'node:net';
import { monoNow } from '../clock.js';

/**
 * Login attempts per source address, across every account: one phone on the classroom Wi-Fi
 * cannot spray PINs at every teacher, and it cannot keep the whole staff locked out.
 *
 * An attempt is counted when it arrives (before the slow hash), so a burst sent at once is counted
 * as it arrives; a right secret gives its attempt back. Memory is bounded: at most `maxSources`
 * addresses are remembered; the oldest window is forgotten first (an attacker with more addresses
 * than that can reset their count, but still meets each account's own lock).
 */
export interface LoginThrottleOptions {
  /** Attempts one source may make per window. */
  maxAttempts: number;
  windowMs: number;
  /** Sources remembered at most. */
  maxSources: number;
}

interface Entry {
  count: number;
  windowEnd: number;
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterS: number; firstRefusal: boolean };

export class LoginThrottle {
  readonly #o: LoginThrottleOptions;
  // Insertion order is window-start order (a new window re-inserts), so the first entry ends first.
  readonly #entries = new Map<string, Entry>();

  constructor(o: LoginThrottleOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Count an attempt from `address`, or refuse it with the seconds until its window ends. */
  reserve(address: string, now = monoNow()): ThrottleVerdict {
    this.#prune(now);
    const key = sourceKey(address);
    let e = this.#entries.get(key);
    if (!e || e.windowEnd <= now) {
      this.#entries.delete(key);
      while (this.#entries.size >= this.#o.maxSources) {
        const oldest = this.#entries.keys().next().value;
        if (oldest === undefined) break;
        this.#entries.delete(oldest);
      }
      e = { count: 0, windowEnd: now + this.#o.windowMs };
      this.#entries.set(key, e);
    }
    if (e.count >= this.#o.maxAttempts) {
      // Only the first refusal of a window is worth an audit row; the rest would only fill the disk.
      const firstRefusal = e.count === this.#o.maxAttempts;
      if (firstRefusal) e.count++;
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((e.windowEnd - now) / 1000)), firstRefusal };
    }
    e.count++;
    return { ok: true };
  }

  /** A right secret: its attempt does not count against the source. */
  refund(address: string): void {
    const e = this.#entries.get(sourceKey(address));
    if (e && e.count > 0 && e.count <= this.#o.maxAttempts) e.count--;
  }

  #prune(now: number): void {
    for (const [key, e] of this.#entries) {
      if (e.windowEnd > now) break;
      this.#entries.delete(key);
    }
  }
}

/**
 * The unit one attacker controls: an IPv4 address, or an IPv6 /64 (a phone on SLAAC may use any
 * address in its /64). IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The kiosk's own browser: a connection from this machine's loopback. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || /^::ffff:127\./i.test(address) || address === '::1';
}
