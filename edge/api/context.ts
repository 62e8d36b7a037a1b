import type { RoomService } from '../room/room-service.js';
import type { DiskGuard } from '../runtime/disk-guard.js';
import type { IncomingMessage } from 'node:http';
import type { Session } from '../store/repos/sessions.js';
import type { SessionWatch } from './session-watch.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { ComponentStatus } from '../runtime/component.js';
import type { MediaServer, ModbusSlaveInfo, TemperatureStation } from '../runtime/capabilities.js';
import type { ConfigSource } from '../config/edit.js';
import type { EnvironmentService } from '../environment/service.js';
import type { DisplayService } from '../display/display-service.js';
import type { HealthService } from '../health/service.js';
import type { SyncAgent } from '../sync/agent.js';
import type { InteractionAnalyser } from '../analysis/analyser.js';
import type { DiagnosticCapture } from '../analysis/diagnostic-capture.js';
import type { LoginGuards } from '../services/accounts.js';
import type { ReadingsPipeline } from '../ingest/readings-pipeline.js';

/**
 * What route handlers may use. Services appear as the methods the routes call (a route that needs
 * another one says so here), components through what their kind provides (capabilities.ts).
 */
export interface ApiContext {
  config: Config;
  store: Store;
  /** The readings on their way into the store: history queries apply them first; `latest` includes them. */
  readings: Pick<ReadingsPipeline, 'apply' | 'latest'>;
  log: Logger;
  version: string;
  startedAt: number;
  components(): ComponentStatus[];
  brokerClients(): number;
  /** Tell the broker a device's credentials changed or it was removed (closes its connection). */
  deviceCredentialsChanged(deviceId: string): void;
  /** Where settings edited in the admin console are saved. */
  configSource: ConfigSource;
  environment: Pick<EnvironmentService, 'view' | 'history'>;
  /** Every Modbus bus with its sensors' states (troubleshooting in the admin console). */
  modbusBuses(): (ComponentStatus & { slaves: ModbusSlaveInfo[] })[];
  /** The interactive flat panels (display components). */
  displays(): DisplayService[];
  /** The whole service: the daily report (edge/health/report.ts) takes it. */
  health: HealthService;
  sync: Pick<SyncAgent, 'status' | 'streams' | 'quarantine' | 'requestBulk'>;
  /** The door's temperature stations, in configuration order. */
  thermometers(): TemperatureStation[];
  /** Lessons and their interaction figures. */
  analysis: Pick<InteractionAnalyser, 'current' | 'currentEvent' | 'startLesson' | 'endLesson'>;
  capture: Pick<DiagnosticCapture, 'state' | 'list' | 'start' | 'stop'>;
  /** The data directory's disk: its level, what was deleted for space, a fresh start after damage. */
  disk: Pick<DiskGuard, 'diskState'>;
  /** The room's scenes and switches (its view says `enabled: false` unless room.enabled). */
  room(): Pick<RoomService, 'view' | 'scene' | 'override' | 'curtain'>;
  /** Login attempts per source address (bounded) and login hashes at once. */
  logins: LoginGuards;
  /**
   * Stop and start the appliance again with the settings file as it is now; undefined when the
   * process that runs it cannot (an embedding test, a tool).
   */
  restart?(): void;
  /** The ports the HTTP(S) listeners are bound to (the settings may say 0: any). */
  listening(): { port: number; tlsPort: number };
  /** The media component's signalling socket (/api/v1/media), when a media component is configured and not stopped. */
  media?(): MediaServer | undefined;
}

/** How a WebSocket route knows who connects, and keeps knowing while the socket is open. */
export interface UpgradeAuth {
  authenticate(req: IncomingMessage): Session | undefined;
  sessions: SessionWatch;
}
