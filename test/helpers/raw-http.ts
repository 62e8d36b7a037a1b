import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Raw bytes to a server and what comes back until it closes (or `timeoutMs`): for requests a
 * client library would refuse to send.
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(got).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

/** The status line of a raw HTTP answer, e.g. "HTTP/1.1 400 Bad Request". */
export function statusLine(answer: string): string {
  return answer.split('\r\n')[0] ?? '';
}

/** An upgrade request as bytes; `headers` replace or add to the usual ones (null drops one). */
export function upgradeRequest(target: string, headers: Record<string, string | null> = {}): string {
  const h: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  return `GET ${target} HTTP/1.1\r\n${Object.entries(h)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/**
 * A WebSocket opened by hand that never reads after the handshake (or never answers pings):
 * the appliance sees a client that stopped. Resolves once the 101 arrived.
 */
export function stalledWebSocket(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const s = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      s.pause();
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
        s.destroy();
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      resolve({ socket: s, closed });
    };
    s.on('data', onData);
    s.on('error', () => undefined);
    s.write(upgradeRequest(target, { 'Sec-WebSocket-Key': key, ...headers }));
  });
}
