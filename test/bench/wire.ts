import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP server that counts the bytes on its sockets: what its clients sent (request lines, headers,
 * bodies) and what it answered, as the kernel saw them. Counted at the socket, the figure does not
 * depend on which client library the other end uses (a patched `fetch` counted nothing once the sync
 * agent stopped using it).
 */
export class CountingServer {
  readonly server: Server;
  readonly #open = new Set<Socket>();
  #closedIn = 0;
  #closedOut = 0;
  #connections = 0;

  constructor(handler: RequestListener) {
    this.server = createServer(handler);
    this.server.on('connection', (s: Socket) => {
      this.#connections++;
      this.#open.add(s);
      s.once('close', () => {
        this.#open.delete(s);
        this.#closedIn += s.bytesRead;
        this.#closedOut += s.bytesWritten;
      });
    });
  }

  async listen(host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Bytes received from clients and sent to them so far, over every connection (open or closed); connections made. */
  bytes(): { received: number; sent: number; connections: number } {
    let received = this.#closedIn;
    let sent = this.#closedOut;
    for (const s of this.#open) {
      received += s.bytesRead;
      sent += s.bytesWritten;
    }
    return { received, sent, connections: this.#connections };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await closed;
  }
}
