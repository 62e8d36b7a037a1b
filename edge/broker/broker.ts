import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Duplex } from 'node:stream';
import { timingSafeEqual, createHash } from 'node:crypto';
import {
  Aedes,
  type Client,
  type ConnectPacket,
  type PublishPacket,
  type Subscription,
  type AuthenticateError,
} from 'aedes';
import { listen } from '../runtime/listen.js';
import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { AuditEntry } from '../store/repos/audit.js';
import type { LiveEvents } from '../messages.js';
import type { ReadingsPipeline } from '../ingest/readings-pipeline.js';
import { FrameGuard } from './frame-guard.js';
import { decodeCard, decodeReading, decodeSnapshot, decodeStatus } from './ingest.js';
import { deviceMaySubscribe, parseDeviceTopic, parseTasmotaTopic, topics } from './topics.js';
import { DUMMY_DEVICE_HASH, verifySecret } from '../security/secrets.js';
import { errorMessage, ProtocolError } from '../errors.js';
import { loadTlsPair } from '../security/tls.js';
import { mqttTlsFiles, plainHost } from '../security/listeners.js';
import { Admission, type Ticket } from './admission.js';
import { AuditLimiter } from './audit-limiter.js';
import { CappedMap } from './capped-map.js';
import { clientIdProblem, clip } from './client-id.js';
import { LoginThrottle } from './login-throttle.js';
import { monoNow } from '../clock.js';

/** Who a connected client is. The appliance's own services have one identity; each device its own. */
export type Identity =
  { type: 'service' } | { type: 'device'; deviceId: string; integration: boolean; camera: boolean; tasmota: boolean };

export const SERVICE_USERNAME = 'classedge-service';

/** A device that proved its secret recently skips the slow hash on reconnect (bounded, short-lived). */
const AUTH_CACHE_MS = 10 * 60_000;
/** The same complaint about the same thing is logged at most this often. */
const LOG_EVERY_MS = 10_000;

/**
 * The only keys `rejectedByReason` counts under: a category per message kind and problem, never
 * text from the message (a metric name, a field), so the map cannot grow with what devices send.
 */
export const REJECT_CATEGORIES = [
  'reading: too large',
  'reading: not JSON',
  'reading: shape',
  'reading: timestamp',
  'reading: metric',
  'card: invalid',
  'snapshot: not a camera',
  'snapshot: too large',
  'snapshot: not a JPEG',
  'status: invalid',
  'switch: too large',
] as const;
export type RejectCategory = (typeof REJECT_CATEGORIES)[number];

/** One socket on the broker, from accept to close. */
interface Connection {
  ticket: Ticket;
  guard: FrameGuard;
  timer: NodeJS.Timeout;
  /** The CONNECT had an empty client id: aedes assigned a random one, bound to no one. */
  assignedId: boolean;
}

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
 * (authorizePublish holds the PUBACK until the readings journal is synced).
 */
export class Broker extends BaseComponent {
  readonly name = 'broker';
  readonly kind = 'mqtt-broker';
  readonly #o: BrokerOptions;
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  /** MQTT over TLS for devices on the LAN (mqtt.tls); #server is then plain MQTT on loopback. */
  #tlsServer: TlsServer | undefined;
  readonly #identities = new WeakMap<Client, Identity>();
  readonly #inFlight = new WeakMap<Client, Map<number, ((err: Error | null) => void)[]>>();
  readonly #dropped = new WeakSet<Buffer>();
  /** Keyed by device; valid only while the stored hash is unchanged (another process may rotate it). */
  readonly #authCache: CappedMap<string, { storedHash: string; digest: Buffer; until: number }>;
  /** When a complaint was last logged, by device or source. */
  readonly #logAt: CappedMap<string, number>;
  readonly #connections = new WeakMap<Client, Connection>();
  readonly #admission: Admission;
  readonly #deniedAudit: AuditLimiter;
  readonly #loginThrottle: LoginThrottle;
  #auditTimer: NodeJS.Timeout | undefined;
  #c = {
    connections: 0,
    plainSockets: 0,
    tlsSockets: 0,
    tlsHandshakeFailures: 0,
    authFailures: 0,
    aclDenials: 0,
    accepted: 0,
    rejected: 0,
    storeErrors: 0,
    retransmits: 0,
    protocolErrors: 0,
    auditErrors: 0,
    auditSuppressed: 0,
    refusedConnections: 0,
    preAuthEvicted: 0,
    preAuthTimeouts: 0,
    internalErrors: 0,
    throttledLogins: 0,
  };
  readonly rejectedByReason = new Map<RejectCategory, number>();

  constructor(opts: BrokerOptions) {
    super();
    this.#o = opts;
    const m = opts.config.mqtt;
    this.#authCache = new CappedMap(m.maxTrackedKeys);
    this.#logAt = new CappedMap(m.maxTrackedKeys);
    this.#admission = new Admission({
      maxConnections: m.maxConnections,
      maxPerSource: m.maxConnectionsPerSource,
      maxPreAuth: m.maxPreAuthConnections,
    });
    this.#deniedAudit = new AuditLimiter({
      perKey: m.auditDeniedPerSource,
      total: m.auditDeniedTotal,
      maxKeys: m.maxTrackedKeys,
    });
    this.#loginThrottle = new LoginThrottle({
      maxFailures: m.maxFailedLoginsPerSource,
      windowMs: m.failedLoginWindowMs,
      maxKeys: m.maxTrackedKeys,
    });
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The MQTT-over-TLS listener's port; 0 when mqtt.tls is off. */
  get tlsPort(): number {
    return (this.#tlsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Sizes of the broker's tables keyed by device or address (each at most mqtt.maxTrackedKeys). */
  get trackedKeys(): { authCache: number; logAt: number } {
    return { authCache: this.#authCache.size, logAt: this.#logAt.size };
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  protected override counters(): Record<string, number> {
    return {
      ...this.#c,
      clients: this.connectedClients,
      sockets: this.#admission.open,
      preAuth: this.#admission.preAuth,
    };
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.setState('starting');
    const aedes = await Aedes.createBroker({
      id: `classedge-${this.#o.config.appliance.id}`,
      heartbeatInterval: 60_000,
      connectTimeout: this.#o.config.mqtt.connectTimeoutMs,
      maxInflightInbound: this.#o.config.mqtt.maxInflightQos2,
      preConnect: (client, packet, cb) => this.#preConnect(client, packet, cb),
      authenticate: (client, username, password, cb) => this.#authenticateSafely(client, username, password, cb),
      authorizePublish: (client, packet, cb) =>
        this.#guarded('authorizePublish', cb, (done) => this.#authorizePublish(client, packet, done)),
      authorizeSubscribe: (client, sub, cb) =>
        this.#guarded('authorizeSubscribe', cb, (done) => this.#authorizeSubscribe(client, sub, done)),
      authorizeForward: (_client, packet) => (this.#dropped.has(packet.payload as Buffer) ? null : packet),
    });
    this.#aedes = aedes;
    aedes.on('clientReady', (client) => this.#clientReady(client));
    aedes.on('clientDisconnect', (client) => {
      const id = this.#identities.get(client);
      if (id?.type === 'device') this.#o.bus.safeEmit('device.connection', { deviceId: id.deviceId, connected: false });
    });
    aedes.on('clientError', (client, err) =>
      this.#o.log.debug({ clientId: clip(client.id ?? ''), err: errorMessage(err) }, 'client error'),
    );
    aedes.on('connectionError', (_client, err) => this.#o.log.debug({ err: errorMessage(err) }, 'connection error'));
    this.#auditTimer = setInterval(() => this.#auditSummary(), this.#o.config.mqtt.auditWindowMs).unref();

    const server = createServer((socket: Socket) => this.#acceptConnection(socket, 'plain'));
    server.maxConnections = this.#o.config.mqtt.maxConnections;
    this.#server = server;
    // Devices on the LAN speak TLS (mqtt.tls); the plain port then stays on loopback for the
    // appliance's own services unless mqtt.plaintextLan. Each TLS socket, once decrypted, is handled
    // exactly like a plain one.
    const mqtt = this.#o.config.mqtt;
    if (mqtt.tls.enabled) {
      const files = mqttTlsFiles(this.#o.config);
      const pair = loadTlsPair(files, files);
      const tlsServer = createTlsServer({ cert: pair.cert, key: pair.key, handshakeTimeout: 10_000 }, (socket) =>
        this.#acceptConnection(socket, 'tls'),
      );
      tlsServer.on('tlsClientError', (err, socket) => {
        this.#c.tlsHandshakeFailures++;
        this.#o.log.debug(
          { listener: 'tls', remote: socket.remoteAddress, err: errorMessage(err) },
          'MQTT TLS handshake failed',
        );
      });
      tlsServer.maxConnections = mqtt.maxConnections;
      this.#tlsServer = tlsServer;
      await listen(tlsServer, mqtt.tls.port, mqtt.host, signal);
      this.#o.log.info(
        { listener: 'tls', host: mqtt.host, port: this.tlsPort, fingerprint256: pair.info.fingerprint256 },
        'MQTT over TLS listening',
      );
    }
    await listen(server, mqtt.port, plainHost(mqtt), signal);
    this.setState('running');
    this.#o.log.info({ listener: 'plain', host: plainHost(mqtt), port: this.port }, 'MQTT broker listening');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    const servers = [this.#server, this.#tlsServer].filter((x): x is Server => x !== undefined);
    const aedes = this.#aedes;
    this.#server = undefined;
    this.#tlsServer = undefined;
    this.#aedes = undefined;
    clearInterval(this.#auditTimer);
    this.#auditSummary();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.setState('stopped');
  }

  /**
   * Every socket, from any listener, comes in here. It is admitted (or closed) by the connection
   * limits, gets a pre-login deadline and the pre-login packet size, and is handed to aedes.
   */
  #acceptConnection(socket: Socket, listener: 'plain' | 'tls'): void {
    this.#c[listener === 'tls' ? 'tlsSockets' : 'plainSockets']++;
    socket.on('error', () => socket.destroy());
    const aedes = this.#aedes;
    if (!aedes) {
      socket.destroy();
      return;
    }
    const m = this.#o.config.mqtt;
    const admitted = this.#admission.admit(socket.remoteAddress, () => {
      this.#c.preAuthEvicted++;
      socket.destroy();
    });
    if (!admitted.ok) {
      this.#c.refusedConnections++;
      this.#warnAtMostEvery(
        `refused:${socket.remoteAddress ?? ''}`,
        { remote: socket.remoteAddress, why: admitted.reason },
        'MQTT connection refused before login',
      );
      socket.destroy();
      return;
    }
    const ticket = admitted.ticket;
    const timer = setTimeout(() => {
      if (ticket.connectReceived) return;
      this.#c.preAuthTimeouts++;
      socket.destroy();
    }, m.connectTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.#admission.release(ticket);
    });
    socket.setNoDelay(true);
    const guard = new FrameGuard(m.maxPreAuthPacketBytes);
    guard.on('error', (err) => {
      // The guard also errors when aedes tears the stream down (AbortError); only its own verdicts count.
      if (err instanceof ProtocolError) {
        this.#c.protocolErrors++;
        this.#warnAtMostEvery(
          `guard:${socket.remoteAddress ?? ''}`,
          { listener, remote: socket.remoteAddress, err: err.message },
          'closing MQTT connection',
        );
      }
      socket.destroy();
    });
    socket.pipe(guard);
    const client = aedes.handle(Duplex.from({ readable: guard, writable: socket }) as unknown as Socket);
    this.#connections.set(client, { ticket, guard, timer, assignedId: false });
  }

  /**
   * Before login. Sessions are always clean: aedes keeps a persistent session's queued messages
   * and unreleased QoS 2 messages in memory without a bound, across any number of reconnects.
   */
  #preConnect(client: Client, packet: ConnectPacket, cb: (err: Error | null, ok: boolean) => void): void {
    const conn = this.#connections.get(client);
    if (conn) {
      conn.assignedId = !packet.clientId;
      // The CONNECT is here: from now on the secret check's own time bounds the login.
      conn.ticket.connectReceived = true;
      clearTimeout(conn.timer);
    }
    packet.clean = true;
    cb(null, true);
  }

  /** aedes does not await this: whatever goes wrong is answered with a refusal, never thrown. */
  #authenticateSafely(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    let answered = false;
    const once = (err: AuthenticateError | null, ok: boolean | null): void => {
      if (answered) return;
      answered = true;
      cb(err, ok);
    };
    this.#authenticate(client, username, password, once).catch((err: unknown) => {
      this.#c.internalErrors++;
      this.#o.log.error({ err: errorMessage(err) }, 'MQTT authentication failed internally');
      const refusal = new Error('internal error') as AuthenticateError;
      refusal.returnCode = 3;
      once(refusal, false);
    });
  }

  async #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): Promise<void> {
    const conn = this.#connections.get(client);
    const source = conn?.ticket.source ?? 'unknown';
    const refuse = (why: string, code: 2 | 3 | 4 | 5): void => {
      this.#c.authFailures++;
      if (this.#deniedAudit.admit(`address ${source}`)) {
        const actor = `mqtt:${clip(username ?? '(anonymous)')}`;
        this.#audit({
          actor,
          action: 'mqtt.connect',
          target: clip(client.id ?? ''),
          result: 'denied',
          detail: { why, source },
        });
        this.#o.log.warn(
          { clientId: clip(client.id ?? ''), username: username === undefined ? null : clip(username), source, why },
          'MQTT connection refused',
        );
      } else {
        this.#c.auditSuppressed++;
      }
      const err = new Error(why) as AuthenticateError;
      err.returnCode = code;
      cb(err, false);
    };
    const accept = (identity: Identity): void => {
      this.#identities.set(client, identity);
      if (conn) {
        this.#admission.authenticated(conn.ticket);
        conn.guard.maxPacketBytes = this.#maxPacketAfterLogin(identity);
      }
      cb(null, true);
    };
    if (!username || !password) return refuse('anonymous clients are not allowed', 5);
    // Checked before the secret: a client id that is not the login's own costs no hashing.
    const idProblem = conn?.assignedId ? undefined : clientIdProblem(client.id ?? '', username);
    if (idProblem) return refuse(idProblem, 2);
    const waitMs = this.#loginThrottle.blockedFor(source);
    if (waitMs > 0) {
      this.#c.throttledLogins++;
      return refuse(
        `too many wrong secrets from ${source} (mqtt.maxFailedLoginsPerSource); try again in ${Math.ceil(waitMs / 1000)} s`,
        3,
      );
    }
    const secret = password.toString('utf8');
    if (username === SERVICE_USERNAME) {
      const a = Buffer.from(secret);
      const b = Buffer.from(this.#o.serviceSecret);
      if (a.length === b.length && timingSafeEqual(a, b)) return accept({ type: 'service' });
      this.#loginThrottle.failed(source);
      return refuse('bad service credentials', 4);
    }
    try {
      const facts = this.#o.store.devices.loginFacts(username);
      if (facts === undefined || !this.#cachedOk(username, facts.secretHash, secret)) {
        const ok = await verifySecret(secret, facts?.secretHash ?? DUMMY_DEVICE_HASH);
        if (!ok || facts === undefined) {
          this.#loginThrottle.failed(source);
          return refuse('unknown device or wrong secret', 4);
        }
        this.#authCache.set(username, {
          storedHash: facts.secretHash,
          digest: digest(secret),
          until: monoNow() + AUTH_CACHE_MS,
        });
      }
      if (!facts.enabled) return refuse('device is disabled', 5);
      accept({
        type: 'device',
        deviceId: username,
        integration: facts.kind === 'integration',
        camera: facts.kind === 'camera',
        tasmota: facts.kind === 'switch',
      });
    } catch (err) {
      this.#c.internalErrors++;
      this.#o.log.error({ err: errorMessage(err) }, 'MQTT authentication failed internally');
      refuse('internal error', 3);
    }
  }

  /** Camera snapshots are the largest messages; every other identity keeps the smaller limit. */
  #maxPacketAfterLogin(id: Identity): number {
    const { mqtt, analysis } = this.#o.config;
    const big = id.type === 'service' || id.camera;
    return (big ? Math.max(mqtt.maxPayloadBytes, analysis.maxSnapshotBytes) : mqtt.maxPayloadBytes) + 1024;
  }

  #clientReady(client: Client): void {
    this.#c.connections++;
    const id = this.#identities.get(client);
    if (id?.type !== 'device') return;
    try {
      this.#o.store.devices.touch(id.deviceId);
    } catch (err) {
      // Last-seen is a convenience: a full disk must not cost the device its connection.
      this.#c.storeErrors++;
      this.#warnAtMostEvery(
        'touch',
        { deviceId: id.deviceId, err: errorMessage(err) },
        'could not record when the device was last seen',
      );
    }
    this.#o.bus.safeEmit('device.connection', { deviceId: id.deviceId, connected: true });
  }

  /** Audit writes from broker paths never throw: a full or broken disk is logged and counted. */
  #audit(entry: AuditEntry): void {
    try {
      this.#o.store.audit.record(entry);
    } catch (err) {
      this.#c.auditErrors++;
      this.#warnAtMostEvery(
        'audit',
        { action: entry.action, err: errorMessage(err) },
        'audit record could not be written',
        'error',
      );
    }
  }

  /** The denials of the window that ended which were counted but not written one by one. */
  #auditSummary(): void {
    const s = this.#deniedAudit.roll();
    if (!s) return;
    this.#audit({
      actor: 'broker',
      action: 'mqtt.denied.summary',
      result: 'denied',
      detail: { ...s, windowMs: this.#o.config.mqtt.auditWindowMs },
    });
    this.#o.log.warn(
      { suppressed: s.suppressed, keys: s.keys, top: s.top.slice(0, 3) },
      'MQTT denials not written one by one',
    );
  }

  /** Runs an aedes hook so that a throw inside becomes its callback's error, answered once. */
  #guarded<F extends (err: Error | null, ...rest: never[]) => void>(hook: string, cb: F, run: (done: F) => void): void {
    let answered = false;
    const once = ((...args: Parameters<F>) => {
      if (answered) return;
      answered = true;
      (cb as (...a: Parameters<F>) => void)(...args);
    }) as F;
    try {
      run(once);
    } catch (err) {
      this.#c.internalErrors++;
      this.#warnAtMostEvery(
        hook,
        { hook, err: errorMessage(err) },
        'MQTT hook failed; closing the connection',
        'error',
      );
      (once as unknown as (e: Error) => void)(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #warnAtMostEvery(key: string, fields: Record<string, unknown>, msg: string, level: 'warn' | 'error' = 'warn'): void {
    const now = monoNow();
    if ((this.#logAt.get(key) ?? 0) + LOG_EVERY_MS > now) return;
    this.#logAt.set(key, now);
    this.#o.log[level](fields, msg);
  }

  #cachedOk(username: string, storedHash: string, secret: string): boolean {
    const hit = this.#authCache.get(username);
    if (!hit) return false;
    if (hit.until < monoNow() || hit.storedHash !== storedHash) {
      this.#authCache.delete(username);
      return false;
    }
    return timingSafeEqual(hit.digest, digest(secret));
  }

  /** Publish from the appliance itself (no client; bypasses device ACLs). */
  publish(topic: string, payload: string, retain = false): void {
    this.#aedes?.publish(
      { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain, dup: false },
      () => undefined,
    );
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

  /** A client's QoS 1 readings waiting for their sync, by packet id, with every PUBACK owed for each. */
  #inFlightOf(client: Client): Map<number, ((err: Error | null) => void)[]> {
    let m = this.#inFlight.get(client);
    if (!m) {
      m = new Map();
      this.#inFlight.set(client, m);
    }
    return m;
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (err: Error | null) => void): void {
    const id = client ? this.#identities.get(client) : undefined;
    if (client === null || id?.type === 'service') return cb(null);
    if (id === undefined) return cb(new Error('publish before authentication'));
    // A switch speaks only Tasmota's topics: no readings (a compromised plug must not drive the fan by CO₂).
    if (id.tasmota) return this.#authorizeTasmota(id.deviceId, packet, cb);
    const parsed = parseDeviceTopic(packet.topic);
    if (!parsed.ok || parsed.deviceId !== id.deviceId) {
      // MQTT 3.1.1 has no negative PUBACK: a publish outside the device's prefix closes the connection.
      this.#c.aclDenials++;
      const why = parsed.ok ? `topic belongs to device '${clip(parsed.deviceId)}'` : clip(parsed.reason, 200);
      if (this.#deniedAudit.admit(`device ${id.deviceId}`)) {
        this.#audit({
          actor: `device:${id.deviceId}`,
          action: 'mqtt.publish',
          target: clip(packet.topic, 200),
          result: 'denied',
          detail: { why },
        });
        this.#o.log.warn(
          { deviceId: id.deviceId, topic: clip(packet.topic, 200), why },
          'publish refused; closing connection',
        );
      } else {
        this.#c.auditSuppressed++;
      }
      return cb(new Error(`publish to ${clip(packet.topic, 200)} refused: ${why}`));
    }
    const payload = packet.payload as Buffer;
    switch (parsed.kind) {
      case 'reading': {
        const decoded = decodeReading(
          id.deviceId,
          payload,
          this.#o.config.mqtt.maxPayloadBytes,
          Date.now(),
          this.#o.config.mqtt.maxClockSkewMs,
        );
        if (!decoded.ok)
          return this.#reject(
            id.deviceId,
            packet,
            readingCategory(decoded.reason, decoded.field),
            decoded.reason,
            decoded.field,
            cb,
          );
        // QoS 0: nobody waits, the reading is journaled and goes on. QoS 1 and 2: the PUBACK waits for the sync.
        const durability = packet.qos === 0 ? 'polled' : 'acknowledged';
        const inFlight = client ? this.#inFlightOf(client) : undefined;
        const waiting = inFlight?.get(packet.messageId ?? -1);
        if (durability === 'acknowledged' && waiting) {
          // The same packet id while the first is still waiting for its sync: a retransmission (ESP-MQTT
          // resends after 1 s without a PUBACK). Acknowledged with the first; stored once.
          this.#c.retransmits++;
          waiting.push(cb);
          return;
        }
        const callbacks = [cb];
        if (durability === 'acknowledged' && inFlight && packet.messageId !== undefined)
          inFlight.set(packet.messageId, callbacks);
        this.#o.readings.submit(
          decoded.value,
          (err) => {
            if (packet.messageId !== undefined) inFlight?.delete(packet.messageId);
            if (err) {
              // Not acknowledged: the device keeps the message and sends it again.
              this.#c.storeErrors++;
              this.#o.log.error({ err: errorMessage(err) }, 'readings commit failed; not acknowledging');
              for (const c of callbacks) c(err);
              return;
            }
            this.#c.accepted++;
            for (const c of callbacks) c(null);
          },
          durability,
        );
        return;
      }
      case 'card': {
        const card = decodeCard(payload);
        if (!card.ok) return this.#reject(id.deviceId, packet, 'card: invalid', card.reason, card.field, cb);
        this.#c.accepted++;
        this.#o.bus.safeEmit('card.read', { deviceId: id.deviceId, card: card.value });
        // A card number is identifying: it is not forwarded to other subscribers.
        this.#dropped.add(payload);
        return cb(null);
      }
      case 'snapshot': {
        if (!id.camera)
          return this.#reject(
            id.deviceId,
            packet,
            'snapshot: not a camera',
            'snapshot: only devices of kind camera may publish snapshots',
            '/',
            cb,
          );
        const max = this.#o.config.analysis.maxSnapshotBytes;
        const snapshot = decodeSnapshot(payload, max, this.#o.config.analysis.vision.maxFramePixels);
        if (!snapshot.ok)
          return this.#reject(
            id.deviceId,
            packet,
            payload.length > max ? 'snapshot: too large' : 'snapshot: not a JPEG',
            snapshot.reason,
            snapshot.field,
            cb,
          );
        this.#c.accepted++;
        this.#o.onSnapshot?.(id.deviceId, payload);
        // A classroom image never leaves the appliance: not forwarded to any subscriber.
        this.#dropped.add(payload);
        return cb(null);
      }
      case 'status': {
        const status = decodeStatus(payload);
        if (!status.ok) return this.#reject(id.deviceId, packet, 'status: invalid', status.reason, status.field, cb);
        this.#c.accepted++;
        return cb(null);
      }
    }
  }

  /**
   * A switch's own report (stat/<id>/…, tele/<id>/…): passed on to the appliance's subscribers (the
   * switch's driver) when it is the switch's own topic and within the payload limit. Another
   * device's topic closes the connection, as any publish outside a device's own topics does.
   */
  #authorizeTasmota(deviceId: string, packet: PublishPacket, cb: (err: Error | null) => void): void {
    const parsed = parseTasmotaTopic(packet.topic);
    if (!parsed.ok || parsed.deviceId !== deviceId) {
      this.#c.aclDenials++;
      const why = parsed.ok ? `topic belongs to device '${clip(parsed.deviceId)}'` : parsed.reason;
      if (this.#deniedAudit.admit(`device ${deviceId}`))
        this.#audit({
          actor: `device:${deviceId}`,
          action: 'mqtt.publish',
          target: clip(packet.topic, 200),
          result: 'denied',
          detail: { why },
        });
      else this.#c.auditSuppressed++;
      return cb(new Error(`publish to ${clip(packet.topic, 200)} refused: ${why}`));
    }
    // Retained only for its last will: any other retained key would be kept by the broker for good,
    // one per topic a switch cares to invent.
    if (packet.retain && parsed.key !== 'LWT') packet.retain = false;
    const payload = packet.payload as Buffer;
    const max = this.#o.config.mqtt.maxPayloadBytes;
    if (payload.length > max)
      return this.#reject(
        deviceId,
        packet,
        'switch: too large',
        `payload of ${payload.length} bytes exceeds mqtt.maxPayloadBytes (${max})`,
        undefined,
        cb,
      );
    this.#c.accepted++;
    cb(null);
  }

  /** The topics the broker keeps a retained message for under `pattern` (tests and diagnostics). */
  async retainedTopics(pattern = '#'): Promise<string[]> {
    const persistence = (
      this.#aedes as unknown as { persistence?: { createRetainedStream(p: string): AsyncIterable<{ topic: string }> } }
    )?.persistence;
    if (!persistence) return [];
    const out: string[] = [];
    for await (const p of persistence.createRetainedStream(pattern)) out.push(p.topic);
    return out;
  }

  /**
   * The appliance's own subscription inside the broker (no network client): drivers of MQTT
   * devices follow their devices' topics with it. Returns the unsubscribe.
   */
  subscribeLocal(filter: string, onMessage: (topic: string, payload: Buffer) => void): () => void {
    const aedes = this.#aedes;
    if (!aedes) throw new Error('the broker is not running');
    const deliver = (packet: { topic: string; payload: Buffer | string }, done: () => void): void => {
      try {
        onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      } catch (err) {
        this.#o.log.error({ filter, err: errorMessage(err) }, 'local MQTT subscriber failed');
      }
      done();
    };
    aedes.subscribe(filter, deliver, () => undefined);
    return () => aedes.unsubscribe(filter, deliver, () => undefined);
  }

  /** Acknowledge and drop a bad message: counted, logged (rate-limited), told to the device. */
  #reject(
    deviceId: string,
    packet: PublishPacket,
    category: RejectCategory,
    reason: string,
    field: string | undefined,
    cb: (err: Error | null) => void,
  ): void {
    this.#c.rejected++;
    this.rejectedByReason.set(category, (this.rejectedByReason.get(category) ?? 0) + 1);
    this.#dropped.add(packet.payload as Buffer);
    this.#warnAtMostEvery(`reject:${deviceId}`, { deviceId, topic: packet.topic, reason }, 'message rejected');
    const event = { deviceId, topic: packet.topic, reason, ...(field !== undefined ? { field } : {}) };
    this.#o.bus.safeEmit('ingest.rejected', event);
    this.#aedes?.publish(
      {
        cmd: 'publish',
        topic: topics.deviceRejected(deviceId),
        payload: Buffer.from(JSON.stringify(event)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
    cb(null);
  }

  #authorizeSubscribe(
    client: Client,
    sub: Subscription,
    cb: (err: Error | null, sub?: Subscription | null) => void,
  ): void {
    const id = this.#identities.get(client);
    if (id?.type === 'service') return cb(null, sub);
    if (
      id?.type === 'device' &&
      deviceMaySubscribe(id.deviceId, sub.topic, { integration: id.integration, tasmota: id.tasmota })
    )
      return cb(null, sub);
    this.#c.aclDenials++;
    this.#warnAtMostEvery(
      `subscribe:${client.id ?? ''}`,
      { clientId: clip(client.id ?? ''), filter: clip(sub.topic, 200) },
      'subscription refused',
    );
    cb(null, null);
  }
}

/** The category of a refused reading, from where decodeReading found the problem. */
function readingCategory(reason: string, field: string | undefined): RejectCategory {
  if (field === undefined) return reason.startsWith('payload of') ? 'reading: too large' : 'reading: not JSON';
  if (field === '/ts') return 'reading: timestamp';
  if (field.startsWith('/metrics/')) return 'reading: metric';
  return 'reading: shape';
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
