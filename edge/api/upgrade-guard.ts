import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';

/** Refuse a WebSocket upgrade with a plain HTTP status. */
export function rejectUpgrade(socket: Duplex, status: number, text: string, why = text): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`,
  );
}

/**
 * Browsers always send Origin on a WebSocket upgrade; a page from another site must not ride on
 * the panel's cookie. True when the upgrade comes from this appliance's own pages (or from a
 * client that is not a browser and sends no Origin).
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The request target of an upgrade, split without decoding (paths are compared as sent). */
export interface UpgradeTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * The target of an upgrade request, or why it is refused. Only origin-form (`/path?query`) is
 * accepted: browsers send nothing else on a WebSocket, and `//x` or `http://host/...` is how the
 * WHATWG URL parser was made to throw. URLSearchParams keeps a malformed `%` as text.
 */
export function parseUpgradeTarget(url: string | undefined): UpgradeTarget | string {
  if (url === undefined || url === '') return 'request target: missing';
  if (url[0] !== '/' || url.startsWith('//'))
    return `request target: expected a path starting with a single '/', got ${JSON.stringify(url.slice(0, 64))}`;
  const q = url.indexOf('?');
  return { path: q < 0 ? url : url.slice(0, q), query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) };
}

export type UpgradeRoute = (req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget) => void;

/**
 * The one `upgrade` listener of the HTTP server. It runs outside Express, so an exception here
 * would end the process: the target is parsed without throwing, a socket error (a reset mid
 * handshake) has a listener, and whatever a route throws is answered 400 and the socket closed.
 */
export function upgradeListener(
  route: (path: string) => UpgradeRoute | undefined,
  log: Logger,
  counters: { upgradeErrors: number },
  hostOk: (host: string) => boolean = () => true,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    // Node removes the HTTP server's error listener on upgrade: without one, ECONNRESET throws.
    socket.on('error', () => socket.destroy());
    try {
      const target = parseUpgradeTarget(req.url);
      if (typeof target === 'string') return rejectUpgrade(socket, 400, 'Bad Request', target);
      // Node answers a plain request without Host with 400 itself, but not an upgrade (RFC 9112 §3.2).
      if (!req.headers.host) return rejectUpgrade(socket, 400, 'Bad Request', 'Host: missing');
      // The same DNS-rebinding guard as every HTTP request (edge/api/host-check.ts).
      if (!hostOk(req.headers.host))
        return rejectUpgrade(
          socket,
          421,
          'Misdirected Request',
          'Host: not a name of this appliance (add it to http.allowedHosts)',
        );
      const handler = route(target.path);
      if (!handler) return rejectUpgrade(socket, 404, 'Not Found');
      handler(req, socket, head, target);
    } catch (err) {
      counters.upgradeErrors++;
      log.warn({ err, url: String(req.url).slice(0, 200) }, 'WebSocket upgrade failed; answered 400');
      try {
        rejectUpgrade(socket, 400, 'Bad Request');
      } catch {
        socket.destroy();
      }
    }
  };
}
