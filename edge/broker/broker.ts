import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Aedes, type Client, type PublishPacket, type Subscription, type AuthenticateError } from 'aedes';
import { listen } from '../runtime/listen.js';
import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { LiveEvents } from '../messages.js';
import type { ReadingsPipeline } from '../ingest/readings-pipeline.js';
import { FrameGuard } from './frame-guard.js';
import { decodeCard, decodeReading, decodeSnapshot, decodeStatus } from './ingest.js';
import { deviceMaySubscribe, parseDeviceTopic, topics } from './topics.js';
import { DUMMY_HASH, verifySecret } from '../security/secrets.js';
import { errorMessage, ProtocolError } from '../errors.js';

/** Who a connected client is. The appliance's own services have one identity; each device its own. */
export type Identity = { type: 'service' } | { type: 'device'; deviceId: string; integration: boolean; camera: boolean };

export const SERVICE_USERNAME = 'classedge-service';

/** A device that proved its secret recently skips the slow hash on reconnect (bounded, short-lived). */
const AUTH_CACHE_MS = 10 * 60_000;

export interface BrokerOptions {
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  readings: ReadingsPipeline;
  log: Logger;
  serviceSecret: string;
  /** A camera node's JPEG snapshot (already checked to be one whole JPEG within the size limit). */
  onSnapshot?: (deviceId: string, jpeg: Buffer) => void;
}

/**
 * The embedded MQTT broker. Devices authenticate with their own secret, may only touch their own
 * topic prefix, and a QoS 1 reading is acknowledged only after it is committed to SQLite
 * (authorizePublish holds the PUBACK until the group commit calls back).
 */
export class Broker extends BaseComponent {
  readonly name = 'broker';
  readonly kind = 'mqtt-broker';
  readonly #o: BrokerOptions;
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  readonly #identities = new WeakMap<Client, Identity>();
  readonly #dropped = new WeakSet<Buffer>();
  /** Keyed by device; valid only while the stored hash is unchanged (another process may rotate it). */
  readonly #authCache = new Map<string, { storedHash: string; digest: Buffer; until: number }>();
  readonly #rejectLogAt = new Map<string, number>();
  #c = { connections: 0, authFailures: 0, aclDenials: 0, accepted: 0, rejected: 0, storeErrors: 0, protocolErrors: 0 };
  readonly rejectedByReason = new Map<string, number>();

  constructor(opts: BrokerOptions) {
    super();
    this.#o = opts;
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c, clients: this.connectedClients };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const aedes = await Aedes.createBroker({
      id: `classedge-${this.#o.config.appliance.id}`,
      heartbeatInterval: 60_000,
      connectTimeout: 10_000,
      authenticate: (client, username, password, cb) => void this.#authenticate(client, username, password, cb),
      authorizePublish: (client, packet, cb) => this.#authorizePublish(client, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.#authorizeSubscribe(client, sub, cb),
      authorizeForward: (_client, packet) => (this.#dropped.has(packet.payload as Buffer) ? null : packet),
    });
    this.#aedes = aedes;
    aedes.on('clientReady', (client) => {
      this.#c.connections++;
      const id = this.#identities.get(client);
      if (id?.type === 'device') {
        this.#o.store.devices.touch(id.deviceId);
        this.#o.bus.safeEmit('device.connection', { deviceId: id.deviceId, connected: true });
      }
    });
    aedes.on('clientDisconnect', (client) => {
      const id = this.#identities.get(client);
      if (id?.type === 'device') this.#o.bus.safeEmit('device.connection', { deviceId: id.deviceId, connected: false });
    });
    aedes.on('clientError', (client, err) => this.#o.log.debug({ clientId: client.id, err: errorMessage(err) }, 'client error'));
    aedes.on('connectionError', (_client, err) => this.#o.log.debug({ err: errorMessage(err) }, 'connection error'));

    // Camera snapshots are the largest messages; every other kind keeps its own, smaller limit.
    const maxPacket = Math.max(this.#o.config.mqtt.maxPayloadBytes, this.#o.config.analysis.maxSnapshotBytes) + 1024;
    const server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      const guard = new FrameGuard(maxPacket);
      guard.on('error', (err) => {
        // The guard also errors when aedes tears the stream down (AbortError); only its own verdicts count.
        if (err instanceof ProtocolError) {
          this.#c.protocolErrors++;
          this.#o.log.warn({ remote: socket.remoteAddress, err: err.message }, 'closing MQTT connection');
        }
        socket.destroy();
      });
      socket.on('error', () => socket.destroy());
      socket.pipe(guard);
      aedes.handle(Duplex.from({ readable: guard, writable: socket }) as unknown as Socket);
    });
    server.maxConnections = this.#o.config.mqtt.maxConnections;
    this.#server = server;
    await listen(server, this.#o.config.mqtt.port, this.#o.config.mqtt.host);
    this.setState('running');
    this.#o.log.info({ port: this.port }, 'MQTT broker listening');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    const server = this.#server;
    const aedes = this.#aedes;
    this.#server = undefined;
    this.#aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.setState('stopped');
  }

  async #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): Promise<void> {
    const refuse = (why: string, code: 4 | 5): void => {
      this.#c.authFailures++;
      this.#o.store.audit.record({ actor: `mqtt:${username ?? '(anonymous)'}`, action: 'mqtt.connect', target: client.id, result: 'denied', detail: { why } });
      this.#o.log.warn({ clientId: client.id, username: username ?? null, why }, 'MQTT connection refused');
      const err = new Error(why) as AuthenticateError;
      err.returnCode = code;
      cb(err, false);
    };
    if (!username || !password) return refuse('anonymous clients are not allowed', 5);
    const secret = password.toString('utf8');
    if (username === SERVICE_USERNAME) {
      const a = Buffer.from(secret);
      const b = Buffer.from(this.#o.serviceSecret);
      if (a.length === b.length && timingSafeEqual(a, b)) {
        this.#identities.set(client, { type: 'service' });
        return cb(null, true);
      }
      return refuse('bad service credentials', 4);
    }
    try {
      const facts = this.#o.store.devices.loginFacts(username);
      if (facts === undefined || !this.#cachedOk(username, facts.secretHash, secret)) {
        const ok = await verifySecret(secret, facts?.secretHash ?? DUMMY_HASH);
        if (!ok || facts === undefined) return refuse('unknown device or wrong secret', 4);
        this.#authCache.set(username, { storedHash: facts.secretHash, digest: digest(secret), until: Date.now() + AUTH_CACHE_MS });
      }
      if (!facts.enabled) return refuse('device is disabled', 5);
      this.#identities.set(client, { type: 'device', deviceId: username, integration: facts.kind === 'integration', camera: facts.kind === 'camera' });
      cb(null, true);
    } catch (err) {
      this.#o.log.error({ err }, 'MQTT authentication failed internally');
      refuse('internal error', 5);
    }
  }

  #cachedOk(username: string, storedHash: string, secret: string): boolean {
    const hit = this.#authCache.get(username);
    if (!hit) return false;
    if (hit.until < Date.now() || hit.storedHash !== storedHash) {
      this.#authCache.delete(username);
      return false;
    }
    return timingSafeEqual(hit.digest, digest(secret));
  }

  /** Publish from the appliance itself (no client; bypasses device ACLs). */
  publish(topic: string, payload: string, retain = false): void {
    this.#aedes?.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain, dup: false }, () => undefined);
  }

  /** Forget a device's cached login (secret rotated or device removed). */
  forgetDevice(deviceId: string): void {
    this.#authCache.delete(deviceId);
    const aedes = this.#aedes;
    if (!aedes) return;
    for (const c of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) {
      const id = this.#identities.get(c);
      if (id?.type === 'device' && id.deviceId === deviceId) c.close();
    }
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    const id = client ? this.#identities.get(client) : undefined;
    if (client === null || id?.type === 'service') return cb(null);
    if (id === undefined) return cb(new Error('publish before authentication'));
    const parsed = parseDeviceTopic(packet.topic);
    if (!parsed.ok || parsed.deviceId !== id.deviceId) {
      // MQTT 3.1.1 has no negative PUBACK: a publish outside the device's prefix closes the connection.
      this.#c.aclDenials++;
      const why = parsed.ok ? `topic belongs to device '${parsed.deviceId}'` : parsed.reason;
      this.#o.store.audit.record({ actor: `device:${id.deviceId}`, action: 'mqtt.publish', target: packet.topic, result: 'denied', detail: { why } });
      this.#o.log.warn({ deviceId: id.deviceId, topic: packet.topic, why }, 'publish refused; closing connection');
      return cb(new Error(`publish to ${packet.topic} refused: ${why}`));
    }
    const payload = packet.payload as Buffer;
    switch (parsed.kind) {
      case 'reading': {
        const decoded = decodeReading(id.deviceId, payload, this.#o.config.mqtt.maxPayloadBytes, Date.now());
        if (!decoded.ok) return this.#reject(id.deviceId, packet, decoded.reason, decoded.field, cb);
        this.#o.readings.submit(decoded.value, (err) => {
          if (err) {
            // Not acknowledged: the device keeps the message and sends it again.
            this.#c.storeErrors++;
            this.#o.log.error({ err: errorMessage(err) }, 'readings commit failed; not acknowledging');
            return cb(err);
          }
          this.#c.accepted++;
          cb(null);
        });
        return;
      }
      case 'card': {
        const card = decodeCard(payload);
        if (!card.ok) return this.#reject(id.deviceId, packet, card.reason, card.field, cb);
        this.#c.accepted++;
        this.#o.bus.safeEmit('card.read', { deviceId: id.deviceId, card: card.value });
        // A card number is identifying: it is not forwarded to other subscribers.
        this.#dropped.add(payload);
        return cb(null);
      }
      case 'snapshot': {
        if (!id.camera) return this.#reject(id.deviceId, packet, 'snapshot: only devices of kind camera may publish snapshots', '/', cb);
        const snapshot = decodeSnapshot(payload, this.#o.config.analysis.maxSnapshotBytes);
        if (!snapshot.ok) return this.#reject(id.deviceId, packet, snapshot.reason, snapshot.field, cb);
        this.#c.accepted++;
        this.#o.onSnapshot?.(id.deviceId, payload);
        // A classroom image never leaves the appliance: not forwarded to any subscriber.
        this.#dropped.add(payload);
        return cb(null);
      }
      case 'status': {
        const status = decodeStatus(payload);
        if (!status.ok) return this.#reject(id.deviceId, packet, status.reason, status.field, cb);
        this.#c.accepted++;
        return cb(null);
      }
    }
  }

  /** Acknowledge and drop a bad message: counted, logged (rate-limited), told to the device. */
  #reject(deviceId: string, packet: PublishPacket, reason: string, field: string | undefined, cb: (err?: Error | null) => void): void {
    this.#c.rejected++;
    const category = reason.split(':')[0]?.slice(0, 60) ?? reason;
    this.rejectedByReason.set(category, (this.rejectedByReason.get(category) ?? 0) + 1);
    this.#dropped.add(packet.payload as Buffer);
    const now = Date.now();
    if ((this.#rejectLogAt.get(deviceId) ?? 0) + 10_000 < now) {
      this.#rejectLogAt.set(deviceId, now);
      this.#o.log.warn({ deviceId, topic: packet.topic, reason }, 'message rejected');
    }
    const event = { deviceId, topic: packet.topic, reason, ...(field !== undefined ? { field } : {}) };
    this.#o.bus.safeEmit('ingest.rejected', event);
    this.#aedes?.publish(
      { cmd: 'publish', topic: topics.deviceRejected(deviceId), payload: Buffer.from(JSON.stringify(event)), qos: 0, retain: false, dup: false },
      () => undefined,
    );
    cb(null);
  }

  #authorizeSubscribe(client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void): void {
    const id = this.#identities.get(client);
    if (id?.type === 'service') return cb(null, sub);
    if (id?.type === 'device' && deviceMaySubscribe(id.deviceId, sub.topic, id.integration)) return cb(null, sub);
    this.#c.aclDenials++;
    this.#o.log.warn({ clientId: client.id, filter: sub.topic }, 'subscription refused');
    cb(null, null);
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
