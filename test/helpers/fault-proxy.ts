import { createServer, connect, type Server, type Socket } from 'node:net';

export type Fault = 'cut-request' | 'cut-response' | 'corrupt' | 'delay';

/**
 * A TCP proxy the test controls, between the appliance and the district. The next connections can
 * be cut half-way through the request, cut after the district answered (the answer never arrives),
 * have a byte of the request flipped, or be delayed.
 */
export class FaultProxy {
  readonly #target: { host: string; port: number };
  #server: Server | undefined;
  readonly faults: Fault[] = [];
  readonly #sockets = new Set<Socket>();
  applied: Fault[] = [];

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer((client) => this.#handle(client));
      this.#server = server;
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  }

  #handle(client: Socket): void {
    const fault = this.faults.shift();
    if (fault) this.applied.push(fault);
    const upstream = connect(this.#target.port, this.#target.host);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => undefined);
    }
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      if (fault === 'cut-request' && sent + chunk.length > 300) {
        upstream.write(chunk.subarray(0, Math.max(0, 300 - sent)));
        client.destroy();
        upstream.destroy();
        return;
      }
      let data = chunk;
      if (fault === 'corrupt' && sent + chunk.length > 600 && sent <= 600) {
        data = Buffer.from(chunk);
        const i = Math.max(0, 600 - sent);
        data[i] = (data[i] as number) ^ 0xff;
      }
      sent += chunk.length;
      if (fault === 'delay') setTimeout(() => upstream.write(data), 500);
      else upstream.write(data);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The district committed and answered; the appliance never hears it.
      if (fault === 'cut-response') {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    // A side that dies (a receiver killed -9) takes the other side's connection with it.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
