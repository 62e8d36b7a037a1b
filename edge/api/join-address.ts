import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { hostName } from './host-check.js';

/** The listeners as they are bound (port 0 in the settings means "any": the real one). */
export interface Listening {
  port: number;
  tlsPort: number;
}

export interface JoinOrigins {
  /** Origins a phone or a laptop on the school's network can open, best first. */
  origins: string[];
  /** True when no listener is on the LAN (http.host on loopback): only the panel itself can open the link. */
  loopbackOnly: boolean;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '0:0:0:0:0:0:0:1';

const withPort = (scheme: 'http' | 'https', host: string, port: number): string => {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  const standard = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  return `${scheme}://${h}${standard ? '' : `:${port}`}`;
};

/**
 * Where the join link and its QR code should point. The panel's own browser talks to the box on
 * 127.0.0.1, which on a parent's phone is the phone itself: the link must name an address of the
 * box that the school's network reaches. In order: `http.publicAddress` when set (a name in the
 * school's DNS, or the address the district assigned); the name the request came in by when it is
 * not loopback (the admin opened the page over the LAN, so that name works); then every IPv4
 * address of the box's own network interfaces that the LAN listener is bound to. Plain HTTP stays
 * on loopback once http.tls is on (unless http.plaintextLan), so the link then uses HTTPS.
 */
export function joinOrigins(o: {
  config: Config;
  listening: Listening;
  /** The Host header of the request that asks, and whether it came over TLS. */
  requestHost: string | undefined;
  secure: boolean;
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}): JoinOrigins {
  const http = o.config.http;
  const lan = http.tls.enabled
    ? { scheme: 'https' as const, port: o.listening.tlsPort, host: http.host }
    : { scheme: 'http' as const, port: o.listening.port, host: http.host };
  const out: string[] = [];
  const add = (origin: string): void => {
    if (!out.includes(origin)) out.push(origin);
  };
  const configured = http.publicAddress.trim();
  if (configured !== '')
    add(/^https?:\/\//.test(configured) ? configured.replace(/\/+$/, '') : withPort(lan.scheme, configured, lan.port));
  if (isLoopback(lan.host)) return { origins: out, loopbackOnly: out.length === 0 };
  const asked = o.requestHost ? hostName(o.requestHost) : undefined;
  if (asked && !isLoopback(asked) && o.requestHost) add(`${o.secure ? 'https' : 'http'}://${o.requestHost.trim()}`);
  const anyAddress = lan.host === '0.0.0.0' || lan.host === '::' || lan.host === '';
  for (const list of Object.values(o.interfaces ?? networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || a.family !== 'IPv4' || a.address.startsWith('169.254.')) continue;
      if (!anyAddress && a.address !== lan.host) continue;
      add(withPort(lan.scheme, a.address, lan.port));
    }
  }
  return { origins: out, loopbackOnly: out.length === 0 };
}
