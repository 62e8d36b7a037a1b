import { isIPv6 } from 'node:net';

export interface AdmissionLimits {
  /** Open sockets at most, on every listener together. */
  maxConnections: number;
  /** Open sockets at most from one source (an IPv4 address, or an IPv6 /64). */
  maxPerSource: number;
  /** Sockets at most that have not logged in yet; a new one beyond it pushes out the oldest idle one. */
  maxPreAuth: number;
}

/** One admitted socket. */
export interface Ticket {
  readonly source: string;
  /** Its whole CONNECT has arrived (its login is being checked). */
  connectReceived: boolean;
  authenticated: boolean;
}

interface Entry extends Ticket {
  evict: () => void;
}

export type Admitted = { ok: true; ticket: Ticket } | { ok: false; reason: string };

/**
 * Who gets a socket on the broker. Sockets that have not logged in are the cheap ones for an
 * attacker to hold open, so they have their own budget, and when it is full the oldest socket
 * whose CONNECT has not arrived is closed to make room: a device whose CONNECT arrives in
 * milliseconds still gets in while a flood holds idle sockets. Logins already being checked are
 * not pushed out (that would waste their secret check); when every pre-login socket is one, the
 * new socket is refused and the device tries again. A per-source cap keeps one address from
 * taking every slot.
 */
export class Admission {
  readonly #limits: AdmissionLimits;
  #open = 0;
  /** Entries are removed at zero, so the map is bounded by the open sockets. */
  readonly #perSource = new Map<string, number>();
  /** In the order they arrived: the first is the oldest. */
  readonly #preAuth = new Set<Entry>();

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#open;
  }

  get preAuth(): number {
    return this.#preAuth.size;
  }

  admit(remoteAddress: string | undefined, evict: () => void): Admitted {
    const source = sourceKey(remoteAddress);
    if (this.#open >= this.#limits.maxConnections)
      return { ok: false, reason: `all ${this.#limits.maxConnections} connections in use (mqtt.maxConnections)` };
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource >= this.#limits.maxPerSource) {
      return {
        ok: false,
        reason: `${fromSource} connections already open from ${source} (mqtt.maxConnectionsPerSource)`,
      };
    }
    if (this.#preAuth.size >= this.#limits.maxPreAuth) {
      let idle: Entry | undefined;
      for (const e of this.#preAuth) {
        if (!e.connectReceived) {
          idle = e;
          break;
        }
      }
      if (!idle)
        return {
          ok: false,
          reason: `all ${this.#limits.maxPreAuth} pre-login connections are logging in (mqtt.maxPreAuthConnections)`,
        };
      this.#preAuth.delete(idle);
      idle.evict();
    }
    const entry: Entry = { source, connectReceived: false, authenticated: false, evict };
    this.#open++;
    this.#perSource.set(source, fromSource + 1);
    this.#preAuth.add(entry);
    return { ok: true, ticket: entry };
  }

  /** The socket logged in: it no longer counts against the pre-auth budget. */
  authenticated(ticket: Ticket): void {
    ticket.authenticated = true;
    this.#preAuth.delete(ticket as Entry);
  }

  /** The socket closed. Call once per admitted ticket. */
  release(ticket: Ticket): void {
    this.#preAuth.delete(ticket as Entry);
    this.#open--;
    const n = (this.#perSource.get(ticket.source) ?? 1) - 1;
    if (n <= 0) this.#perSource.delete(ticket.source);
    else this.#perSource.set(ticket.source, n);
  }
}

/**
 * The unit a per-source limit counts: an IPv4 address (also when it arrives IPv4-mapped), or the
 * /64 of an IPv6 address, since one LAN host can take any number of addresses in its /64.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const bare = address.split('%')[0] as string;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
