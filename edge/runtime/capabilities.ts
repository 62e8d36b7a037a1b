import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ComponentStatus } from './component.js';
import type { IrReading } from '../../firmware-bridge/thermometer/gy-mcu906.js';
import type { DisplayService } from '../display/display-service.js';
import type { UpgradeTarget } from '../api/upgrade-guard.js';
import type { UpgradeAuth } from '../api/context.js';
import type { SwitchChannel } from '../room/switch.js';

declare const carries: unique symbol;

/**
 * A typed name for something a component offers the rest of the appliance. A kind declares the one
 * its components provide (`provides` in its `*.kind.ts`, checked against what `create` returns) and
 * `registry.find(token)` hands those components back already typed: no kind strings, no casts.
 */
export interface Capability<T> {
  readonly id: string;
  /** Never set: it only carries T for the type checker. */
  readonly [carries]?: T;
}

export function capability<T>(id: string): Capability<T> {
  return Object.freeze({ id });
}

/** A temperature station at the door: takes one reading when asked. */
export interface TemperatureStation {
  readonly name: string;
  measure(): Promise<IrReading & { at: number }>;
}

export interface ModbusSlaveInfo {
  address: number;
  id: string;
  profile: string;
  online: boolean | undefined;
  lastError: string | undefined;
}

/** An RS-485 bus and the state of each sensor on it (troubleshooting in the admin console). */
export interface ModbusBusView {
  status(): ComponentStatus;
  slaves(): ModbusSlaveInfo[];
  /** The relays of its relay boards. */
  switches(): SwitchChannel[];
}

/** The remote-lesson server: its state, and the signalling socket the HTTP server hands over. */
export interface MediaServer {
  status(): ComponentStatus;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget, auth: UpgradeAuth): void;
  /** The partner classrooms of its settings, by name (no keys, no addresses): the kiosk's link form. */
  partners(): { applianceId: string; name: string; canLink: boolean }[];
  /** The lesson under way, if any: the panel shows it again after a reload or on another tab. */
  lesson(): MediaLessonInfo | undefined;
}

export interface MediaLessonInfo {
  code: string;
  title: string;
  startedAt: number;
  /** 'host': started here; 'relay': this classroom follows a partner's lesson. */
  mode: 'host' | 'relay';
  participants: { teachers: number; viewers: number; partners: number };
}

/** A driver of switched outputs that are not on a Modbus bus (MQTT switches and dimmers). */
export interface SwitchGroup {
  status(): ComponentStatus;
  switches(): SwitchChannel[];
}

export const THERMOMETER = capability<TemperatureStation>('thermometer');
export const MODBUS_BUS = capability<ModbusBusView>('modbus-bus');
export const SWITCHES = capability<SwitchGroup>('switches');
export const MEDIA_SERVER = capability<MediaServer>('media-server');
// The display routes still take the whole service (edge/api/routes/display.ts types its lookups with it).
export const PANEL = capability<DisplayService>('panel');
