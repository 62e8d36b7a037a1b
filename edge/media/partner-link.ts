import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import type { MediaEventFrame, MediaMethod, MediaRequests } from '../messages.js';
import { ClassEdgeError } from '../errors.js';
import { jsonObject } from './wire.js';
import type { ApplianceMediaReplies } from './signalling.js';

/** A step of partner.link that did not finish in time (media.partnerTimeoutSeconds). */
export class PartnerTimeoutError extends ClassEdgeError {
  constructor(what: string, ms: number) {
    super('timeout', `host appliance: ${what} did not finish within ${ms / 1000} s (media.partnerTimeoutSeconds)`);
  }
}

/**
 * The partner appliance's side of the signalling socket to a host appliance: requests with
 * replies, and the host's events in order. (The host's side is the ordinary MediaHub.) Every step
 * is bounded by `timeoutMs`: a host that accepts the connection and then says nothing must not hold
 * the teacher's request, or anything set up for the link, for ever.
 */
export class HostConnection {
  readonly #ws: WebSocket;
  readonly #timeoutMs: number;
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly #challenge: Promise<string>;
  onEvent: (frame: MediaEventFrame) => void = () => undefined;
  readonly closed: Promise<void>;

  private constructor(ws: WebSocket, timeoutMs: number) {
    this.#ws = ws;
    this.#timeoutMs = timeoutMs;
    let gotChallenge: (c: string) => void = () => undefined;
    let noChallenge: (e: Error) => void = () => undefined;
    this.#challenge = new Promise((resolve, reject) => {
      gotChallenge = resolve;
      noChallenge = reject;
    });
    // Read only through challenge(), which may come after the connection closed.
    this.#challenge.catch(() => undefined);
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
        const gone = new ClassEdgeError('media_error', 'host appliance: connection closed');
        noChallenge(gone);
        for (const p of this.#pending.values()) p.reject(gone);
        this.#pending.clear();
        resolve();
      }),
    );
    ws.on('error', () => undefined);
  }

  /**
   * Connects (TCP, TLS and the WebSocket upgrade together) within `timeoutMs`. With
   * `fingerprint256`, a wss:// host must present exactly that certificate (appliances' certificates
   * are self-signed, so no CA vouches for them); the check is made before anything is sent on the
   * socket but the upgrade request itself, which carries nothing secret.
   */
  static open(url: string, timeoutMs: number, fingerprint256?: string): Promise<HostConnection> {
    const u = new URL(url);
    u.searchParams.set('partner', '1');
    const pinned = u.protocol === 'wss:' && fingerprint256 !== undefined;
    const ws = new WebSocket(u, { handshakeTimeout: timeoutMs, ...(pinned ? { rejectUnauthorized: false } : {}) });
    // Whatever fails after the first error (a terminate mid-handshake) must not throw from an emitter.
    ws.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      // handshakeTimeout covers the upgrade; this also covers a name lookup or TCP connect that hangs.
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new PartnerTimeoutError(`connecting to ${u.host}`, timeoutMs));
      }, timeoutMs);
      let refused = false;
      if (pinned)
        ws.once('upgrade', (res) => {
          const presented = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
          if (presented?.toUpperCase() === fingerprint256.toUpperCase()) return;
          refused = true;
          clearTimeout(timer);
          ws.terminate();
          reject(
            new ClassEdgeError(
              'forbidden',
              `tlsFingerprint256: the appliance at ${u.host} presented a certificate with fingerprint ${presented ?? 'none'}, not the one listed in media.partners`,
            ),
          );
        });
      ws.once('open', () => {
        if (refused) return;
        clearTimeout(timer);
        resolve(new HostConnection(ws, timeoutMs));
      });
      ws.once('error', (err) => {
        if (refused) return;
        clearTimeout(timer);
        ws.terminate();
        reject(new ClassEdgeError('media_error', `cannot reach the host appliance at ${u.host}: ${err.message}`));
      });
    });
  }

  /** The host's one-time challenge (its first frame). */
  challenge(): Promise<string> {
    return this.#within(this.#challenge, "the host's challenge (media.hello)");
  }

  /** The host's reply as the message map says it is: the host is an appliance of the same version. */
  request<M extends MediaMethod>(method: M, data: MediaRequests[M]): Promise<ApplianceMediaReplies[M]> {
    const id = this.#next++;
    const reply = new Promise<ApplianceMediaReplies[M]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, data }));
    });
    return this.#within(reply, method, () => this.#pending.delete(id));
  }

  #within<T>(p: Promise<T>, what: string, onTimeout: () => void = () => undefined): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new PartnerTimeoutError(what, this.#timeoutMs));
      }, this.#timeoutMs);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  close(): void {
    // A host that stopped answering would not complete a closing handshake either.
    if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
    else this.#ws.close(1000, 'link ended');
  }

  /** Drop the socket at once (a refused or timed-out link). */
  terminate(): void {
    this.#ws.terminate();
  }
}

/**
 * What the partner signs. The host's one-time challenge binds it to this connection, the host's id
 * to this host: a host that passes another host's challenge on gets a signature that host refuses.
 */
export function partnerSigningText(challenge: string, hostId: string, partnerId: string, code: string): string {
  return `classedge-media-partner\n${challenge}\n${hostId}\n${partnerId}\n${code.toUpperCase()}`;
}

/**
 * What the host signs in answer: the partner's own nonce (so the proof is fresh), both ids and the
 * host's challenge (this connection). Its own first line, so neither signature stands for the other.
 */
export function hostSigningText(nonce: string, hostId: string, partnerId: string, challenge: string): string {
  return `classedge-media-host\n${nonce}\n${hostId}\n${partnerId}\n${challenge}`;
}
