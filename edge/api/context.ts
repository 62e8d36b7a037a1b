import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Session } from '../store/repos/sessions.js';
import type { UpgradeTarget } from './upgrade-guard.js';
import type { SessionWatch } from './session-watch.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Component, ComponentStatus } from '../runtime/component.js';
import type { ConfigSource } from '../config/edit.js';
import type { EnvironmentService } from '../environment/service.js';
import type { DisplayService } from '../display/display-service.js';
import type { HealthService } from '../health/service.js';
import type { SyncAgent } from '../../cloud-sync/agent/agent.js';
import type { InteractionAnalyser } from '../analysis/analyser.js';
import type { DiagnosticCapture } from '../analysis/diagnostic-capture.js';
import type { LoginGuards } from '../services/accounts.js';

export interface ModbusSlaveInfo {
  address: number;
  id: string;
  profile: string;
  online: boolean | undefined;
  lastError: string | undefined;
}

/** What route handlers may use. */
export interface ApiContext {
  config: Config;
  store: Store;
  log: Logger;
  version: string;
  startedAt: number;
  components(): ComponentStatus[];
  brokerClients(): number;
  /** Tell the broker a device's credentials changed or it was removed (closes its connection). */
  deviceCredentialsChanged(deviceId: string): void;
  /** Where settings edited in the admin console are saved. */
  configSource: ConfigSource;
  environment: EnvironmentService;
  /** Every Modbus bus with its sensors' states (troubleshooting in the admin console). */
  modbusBuses(): (ComponentStatus & { slaves: ModbusSlaveInfo[] })[];
  /** The interactive flat panels (display components). */
  displays(): DisplayService[];
  health: HealthService;
  sync: SyncAgent;
  /** A component by name (drivers the routes talk to, such as the door thermometer). */
  component(name: string): Component | undefined;
  /** Lessons and their interaction figures. */
  analysis: InteractionAnalyser;
  capture: DiagnosticCapture;
  /** Login attempts per source address (bounded) and login hashes at once. */
  logins: LoginGuards;
  /** The media component's signalling socket (/api/v1/media), when a media component is configured and not stopped. */
  media?(): { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget, auth: UpgradeAuth): void } | undefined;
}

/** How a WebSocket route knows who connects, and keeps knowing while the socket is open. */
export interface UpgradeAuth {
  authenticate(req: IncomingMessage): Session | undefined;
  sessions: SessionWatch;
}
