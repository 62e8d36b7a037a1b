import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Refuse a WebSocket upgrade with a plain HTTP status. */
export function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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
