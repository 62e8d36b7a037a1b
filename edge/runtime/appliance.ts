import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../log.js';
import { Store } from '../store/store.js';
import { TypedEmitter, type ComponentStatus } from './component.js';
import { ComponentRegistry } from './registry.js';
import type { LiveEvents } from '../messages.js';
import { ReadingsPipeline, pipelineOptions } from '../ingest/readings-pipeline.js';
import { Broker } from '../broker/broker.js';
import { ServiceClient } from '../broker/service-client.js';
import { HttpServer, type MountStatic } from '../api/server.js';
import { RetentionJob } from './retention-job.js';
import { EnvironmentService } from '../environment/service.js';
import { HealthService } from '../health/service.js';
import { SyncAgent } from '../sync/agent.js';
import { findKind } from './component-kinds.js';
import type { ComponentContext, DeviceBrokerAddress } from './context.js';
import { dialHost, mqttTlsFiles, plainHost } from '../security/listeners.js';
import { loadTlsPair } from '../security/tls.js';
import { DEVICE_COST, hashSecret, randomSecret } from '../security/secrets.js';
import { LoginThrottle } from '../security/login-throttle.js';
import { HashGate } from '../security/hash-gate.js';
import { VERSION } from '../version.js';
import { HeartbeatSource } from '../sync/heartbeat.js';
import type { DeviceKind } from '../store/repos/devices.js';
import type { ConfigSource } from '../config/edit.js';
import { InteractionAnalyser } from '../analysis/analyser.js';
import { DiagnosticCapture } from '../analysis/diagnostic-capture.js';
import { MEDIA_SERVER, MODBUS_BUS, PANEL, SWITCHES, THERMOMETER } from './capabilities.js';
import { RoomService } from '../room/room-service.js';
import { ApplianceMetrics, observeCommit } from '../observability/metrics.js';
import { metricsMount } from '../observability/scrape.js';
import { SystemHistory } from '../observability/history.js';
import { DiskGuard } from './disk-guard.js';
import { markCleanStop } from '../store/integrity.js';

export interface ApplianceOptions {
  config: Config;
  log: Logger;
  /** Where the configuration came from; the admin console saves settings there. */
  configSource: ConfigSource;
  /** Extra static mounts on the HTTP server (the kiosk bundle). */
  mounts?: MountStatic[];
  /** Asked by an admin (POST /api/v1/system/restart): the runner stops this appliance and starts a new one. */
  onRestart?: () => void;
}

/**
 * The whole appliance: one store, one bus, one broker, one HTTP server and the configured
 * components, wired through one context object and started and stopped by one registry.
 */
export class Appliance {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly bus: TypedEmitter<LiveEvents>;
  readonly registry: ComponentRegistry;
  readonly readings: ReadingsPipeline;
  readonly broker: Broker;
  readonly http: HttpServer;
  readonly environment: EnvironmentService;
  readonly health: HealthService;
  readonly sync: SyncAgent;
  readonly analysis: InteractionAnalyser;
  readonly capture: DiagnosticCapture;
  readonly metrics: ApplianceMetrics;
  readonly disk: DiskGuard;
  /** The room's scenes and rules; started only with room.enabled, after the drivers it commands. */
  readonly room: RoomService;
  readonly startedAt = Date.now();
  #heartbeat: HeartbeatSource | undefined;
  readonly #abort = new AbortController();
  #stopping: Promise<boolean> | undefined;

  constructor(o: ApplianceOptions) {
    this.config = o.config;
    this.log = o.log;
    this.store = Store.open(o.config, { checkIntegrity: true });
    const recovered = this.store.integrity?.recovery;
    o.log.info(
      { scope: this.store.integrity?.scope, checkMs: Math.round(this.store.integrity?.checkMs ?? 0) },
      'database checked',
    );
    if (recovered)
      o.log.error(
        { movedTo: recovered.movedTo, problem: recovered.problem, salvaged: recovered.salvaged },
        'the database was damaged: moved aside, started on a fresh one (docs/disk-full-and-corruption.md)',
      );
    this.disk = new DiskGuard({ store: this.store, config: o.config, log: componentLogger(o.log, 'disk'), recovered });
    this.bus = new TypedEmitter<LiveEvents>(componentLogger(o.log, 'bus'));
    this.registry = new ComponentRegistry({ log: o.log, bus: this.bus });
    this.readings = new ReadingsPipeline(pipelineOptions(o.config, this.store.readings, this.bus));
    this.readings.onCommit = (_rows, ms) => observeCommit(ms);
    const serviceSecret = randomSecret(32);
    this.health = new HealthService({
      config: o.config,
      store: this.store,
      bus: this.bus,
      log: componentLogger(o.log, 'health'),
    });
    this.sync = new SyncAgent({
      config: o.config,
      store: this.store,
      log: componentLogger(o.log, 'sync'),
      configSource: o.configSource,
      applyReadings: () => this.readings.apply(),
      pendingReadings: () => this.readings.pendingRows,
      heartbeat: () => {
        this.#heartbeat ??= new HeartbeatSource({
          version: VERSION,
          startedAt: this.startedAt,
          dataDir: o.config.dataDir,
          statuses: () => this.registry.statuses(),
          streams: () => this.sync.streams(),
          configVersion: () => this.sync.configVersion(),
          place: { name: o.config.appliance.name, ...o.config.appliance.classroom },
        });
        return this.#heartbeat.take();
      },
    });
    this.environment = new EnvironmentService({
      config: o.config,
      store: this.store,
      bus: this.bus,
      log: componentLogger(o.log, 'environment'),
      publish: (topic, payload, retain) => this.broker.publish(topic, payload, retain),
    });
    this.capture = new DiagnosticCapture({
      config: o.config,
      store: this.store,
      bus: this.bus,
      log: componentLogger(o.log, 'capture'),
    });
    this.analysis = new InteractionAnalyser({
      config: o.config,
      store: this.store,
      bus: this.bus,
      log: componentLogger(o.log, 'analysis'),
      presentToday: () => this.health.presentToday(),
      capture: this.capture,
    });
    this.broker = new Broker({
      config: o.config,
      store: this.store,
      bus: this.bus,
      readings: this.readings,
      log: componentLogger(o.log, 'broker'),
      serviceSecret,
      onSnapshot: (deviceId, jpeg) => this.analysis.submitFrame(deviceId, jpeg),
    });
    this.room = new RoomService({
      config: o.config,
      store: this.store,
      bus: this.bus,
      log: componentLogger(o.log, 'room'),
      switches: () => [
        ...this.registry.find(MODBUS_BUS).flatMap((b) => b.switches()),
        ...this.registry.find(SWITCHES).flatMap((g) => g.switches()),
      ],
      panels: () => this.registry.find(PANEL),
      roomValue: (metric, now) => this.environment.roomValue(metric, now),
      presentToday: () => this.health.presentToday(),
      publish: (topic, payload, retain) => this.broker.publish(topic, payload, retain),
    });
    this.metrics = new ApplianceMetrics({
      statuses: () => this.registry.statuses(),
      readings: this.readings,
      dataDir: o.config.dataDir,
      startedAt: this.startedAt,
      sync: this.sync,
    });
    this.http = new HttpServer({
      bus: this.bus,
      mounts: [metricsMount(this.metrics, o.config.metrics.scrapeTokenSha256), ...(o.mounts ?? [])],
      ctx: {
        config: o.config,
        store: this.store,
        readings: this.readings,
        log: componentLogger(o.log, 'http'),
        version: VERSION,
        startedAt: this.startedAt,
        components: () => this.registry.statuses(),
        brokerClients: () => this.broker.connectedClients,
        deviceCredentialsChanged: (id) => this.broker.forgetDevice(id),
        configSource: o.configSource,
        environment: this.environment,
        modbusBuses: () => this.registry.find(MODBUS_BUS).map((c) => ({ ...c.status(), slaves: c.slaves() })),
        displays: () => this.registry.find(PANEL),
        thermometers: () => this.registry.find(THERMOMETER),
        health: this.health,
        sync: this.sync,
        analysis: this.analysis,
        capture: this.capture,
        disk: this.disk,
        room: () => this.room,
        listening: () => ({ port: this.http.port, tlsPort: this.http.tlsPort }),
        ...(o.onRestart ? { restart: o.onRestart } : {}),
        logins: {
          throttle: new LoginThrottle({
            maxAttempts: o.config.auth.sourceMaxFailedLogins,
            windowMs: o.config.auth.sourceWindowMinutes * 60_000,
            maxSources: o.config.auth.sourcesTracked,
          }),
          hashes: new HashGate({
            maxRunning: o.config.auth.loginHashConcurrency,
            maxQueued: o.config.auth.loginQueueMax,
          }),
        },
        // While its worker is being built (or the build failed) it still answers, with not_ready and why.
        media: () => this.registry.find(MEDIA_SERVER).find((c) => !['stopped', 'stopping'].includes(c.status().state)),
      },
    });
    this.registry.add(this.disk, { core: true });
    this.registry.add(
      new RetentionJob({ store: this.store, config: o.config, log: componentLogger(o.log, 'retention') }),
      { core: true },
    );
    this.registry.add(this.broker, { core: true });
    this.registry.add(
      new ServiceClient({
        url: () => this.brokerUrl(),
        secret: serviceSecret,
        bus: this.bus,
        log: componentLogger(o.log, 'mqtt-service'),
      }),
      { core: true },
    );
    this.registry.add(this.environment, { core: true });
    this.registry.add(this.health, { core: true });
    this.registry.add(this.sync, { core: true });
    this.registry.add(this.analysis, { core: true });
    this.registry.add(
      new SystemHistory({
        config: o.config,
        store: this.store,
        log: componentLogger(o.log, 'history'),
        sync: this.sync,
        startedAt: this.startedAt,
      }),
      { core: false },
    );
    this.registry.add(this.http, { core: true });
  }

  brokerUrl(): string {
    return `mqtt://${dialHost(plainHost(this.config.mqtt))}:${this.broker.port}`;
  }

  /** What a device on this box dials: MQTT over TLS, pinning the broker's certificate, once mqtt.tls is on. */
  deviceBroker(): DeviceBrokerAddress {
    if (!this.config.mqtt.tls.enabled) return { url: this.brokerUrl() };
    const files = mqttTlsFiles(this.config);
    const { cert, info } = loadTlsPair(files, files);
    return {
      url: `mqtts://${dialHost(this.config.mqtt.host)}:${this.broker.tlsPort}`,
      tls: { ca: cert, fingerprint256: info.fingerprint256 },
    };
  }

  componentContext(name: string): ComponentContext {
    return {
      log: componentLogger(this.log, name),
      config: this.config,
      store: this.store,
      bus: this.bus,
      readings: this.readings,
      analysis: this.analysis,
      brokerUrl: () => this.brokerUrl(),
      deviceBroker: () => this.deviceBroker(),
      localMqtt: {
        publish: (topic, payload) => this.broker.publish(topic, payload),
        subscribe: (filter, onMessage) => this.broker.subscribeLocal(filter, onMessage),
      },
      issueSimulatedDeviceSecret: async (deviceId: string, kind: DeviceKind) => {
        const secret = randomSecret();
        const hash = await hashSecret(secret, DEVICE_COST);
        if (this.store.devices.find(deviceId)) this.store.devices.setSecret(deviceId, hash);
        else
          this.store.devices.add({
            id: deviceId,
            kind,
            description: `simulator ${name}`,
            secretHash: hash,
            createdBy: `simulator:${name}`,
          });
        this.broker.forgetDevice(deviceId);
        return secret;
      },
    };
  }

  /** Start core services, then the configured components (each loaded only if configured). */
  async start(): Promise<void> {
    for (const c of this.config.components) {
      if (!c.enabled) continue;
      const kind = findKind(c.type);
      if (!kind) throw new Error(`no component kind '${c.type}'`);
      const mod = await kind.load();
      this.registry.add(mod.create(this.componentContext(c.name), c as never), {
        core: false,
        provides: kind.provides,
      });
    }
    if (this.config.room.enabled) this.registry.add(this.room, { core: false });
    await this.registry.startAll(this.#abort.signal);
    // Stopped while starting: the store may be closed already, and nothing was started to announce.
    if (this.#abort.signal.aborted) return;
    this.store.audit.record({ actor: 'system', action: 'appliance.start', result: 'ok', detail: { version: VERSION } });
    this.log.info({ http: this.http.port, mqtt: this.broker.port, version: VERSION }, 'appliance started');
  }

  statuses(): ComponentStatus[] {
    return this.registry.statuses();
  }

  /** Stop within `shutdownTimeoutMs`; resolves true when everything stopped in time. Idempotent. */
  stop(): Promise<boolean> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      const clean = await this.registry.stopAll(this.config.shutdownTimeoutMs);
      this.readings.close();
      this.metrics.close();
      try {
        this.store.audit.record({ actor: 'system', action: 'appliance.stop', result: clean ? 'ok' : 'error' });
      } finally {
        this.store.close();
        markCleanStop(this.config.dataDir);
      }
      return clean;
    })();
    return this.#stopping;
  }
}
