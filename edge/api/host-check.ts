import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';

/**
 * DNS rebinding guard: a web page on the LAN (or on the internet, opened on a LAN laptop) can point
 * its own name at the appliance's address, and the browser then treats the appliance's answers as
 * same-origin to that page. The page cannot choose the Host header, though: it is the page's own
 * name. So the appliance answers only to names it knows it has: an IP literal (typing the address
 * is not rebinding), localhost, this machine's host name (and .local), `<appliance.id>.local`, and
 * `http.allowedHosts`.
 */
export function allowedHostNames(config: Config): ReadonlySet<string> {
  const own = hostname().toLowerCase();
  return new Set(
    [
      'localhost',
      own,
      `${own}.local`,
      config.appliance.id,
      `${config.appliance.id}.local`,
      ...config.http.allowedHosts,
    ].map((h) => h.toLowerCase()),
  );
}

/** The name in a Host header without its port, lower-case, without a trailing dot; undefined when unreadable. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : undefined;
  }
  const name = h.replace(/:\d*$/, '').replace(/\.$/, '');
  return name === '' ? undefined : name;
}

/** Whether a request's Host header names this appliance. A request without one is no browser's. */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  return isIP(name) !== 0 || allowed.has(name);
}
