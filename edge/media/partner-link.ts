import { WebSocket } from 'ws';
import type { MediaEventFrame, MediaMethod, MediaRequests } from '../messages.js';
import { ClassEdgeError } from '../errors.js';
import { jsonObject } from './wire.js';
import type { ApplianceMediaReplies } from './signalling.js';

/**
 * The partner appliance's side of the signalling socket to a host appliance: requests with
 * replies, and the host's events in order. (The host's side is the ordinary MediaHub.)
 */
export class HostConnection {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #challenge: Promise<string>;
  onEvent: (frame: MediaEventFrame) => void = () => undefined;
  readonly closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    let gotChallenge: (c: string) => void = () => undefined;
    this.#challenge = new Promise((resolve) => (gotChallenge = resolve));
    ws.on('message', (raw) => {
      const parsed = jsonObject(String(raw));
      if (typeof parsed === 'string') return;
      const msg = parsed as {
        id?: number;
        ok?: boolean;
        data?: unknown;
        error?: string;
        message?: string;
        type?: string;
      };
      if (typeof msg.id === 'number') {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.data);
        else
          p?.reject(
            new ClassEdgeError(msg.error ?? 'media_error', `host appliance: ${msg.message ?? 'request failed'}`),
          );
      } else if (msg.type === 'media.hello') {
        const challenge = (msg.data as { challenge?: unknown } | null)?.challenge;
        if (typeof challenge === 'string') gotChallenge(challenge);
      } else if (typeof msg.type === 'string') {
        this.onEvent(msg as MediaEventFrame);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', () => {
        for (const p of this.#pending.values())
          p.reject(new ClassEdgeError('media_error', 'host appliance: connection closed'));
        this.#pending.clear();
        resolve();
      }),
    );
    ws.on('error', () => undefined);
  }

  static open(url: string, timeoutMs = 10_000): Promise<HostConnection> {
    const u = new URL(url);
    u.searchParams.set('partner', '1');
    const ws = new WebSocket(u, { handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new HostConnection(ws)));
      ws.once('error', (err) =>
        reject(new ClassEdgeError('media_error', `cannot reach the host appliance at ${url}: ${err.message}`)),
      );
    });
  }

  challenge(): Promise<string> {
    return this.#challenge;
  }

  /** The host's reply as the message map says it is: the host is an appliance of the same version. */
  request<M extends MediaMethod>(method: M, data: MediaRequests[M]): Promise<ApplianceMediaReplies[M]> {
    const id = this.#next++;
    return new Promise<ApplianceMediaReplies[M]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, data }));
    });
  }

  close(): void {
    this.#ws.close(1000, 'link ended');
  }
}

/** What the partner signs: the host's one-time challenge binds it to this connection. */
export function partnerSigningText(challenge: string, applianceId: string, code: string): string {
  return `classedge-media-partner\n${challenge}\n${applianceId}\n${code.toUpperCase()}`;
}
