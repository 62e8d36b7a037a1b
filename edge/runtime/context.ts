import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { TypedEmitter } from './component.js';
import type { LiveEvents } from '../messages.js';
import type { ReadingsPipeline } from '../ingest/readings-pipeline.js';
import type { DeviceKind } from '../store/repos/devices.js';
import type { AnalysisSink } from '../analysis/analyser.js';

export interface DeviceBrokerAddress {
  url: string;
  /** The certificate to trust (and nothing else) and its SHA-256 fingerprint, when the URL is mqtts://. */
  tls?: { ca: Buffer; fingerprint256: string };
}

/** The embedded broker in process, as the appliance itself (no network client, no device ACL). */
export interface LocalMqtt {
  publish(topic: string, payload: string): void;
  /** Returns the unsubscribe. */
  subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): () => void;
}

/** Everything a component may use, passed as one object (no positional constructor arguments). */
export interface ComponentContext {
  log: Logger;
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  readings: ReadingsPipeline;
  /** Microphones and cameras hand their samples and frames here (interaction analysis). */
  analysis: AnalysisSink;
  /** mqtt:// URL of the embedded broker's plain (loopback) listener, valid once the broker has started. */
  brokerUrl(): string;
  /**
   * How a device on this box reaches the broker, valid once it has started: MQTT over TLS with the
   * appliance's certificate to pin when mqtt.tls is on, else the plain URL.
   */
  deviceBroker(): DeviceBrokerAddress;
  /** Drivers of MQTT devices command and follow their devices with it (valid once the broker has started). */
  localMqtt: LocalMqtt;
  /**
   * For simulators only: create the device if needed and issue it a fresh secret, returned once.
   * Real devices are added by people (CLI or admin console).
   */
  issueSimulatedDeviceSecret(deviceId: string, kind: DeviceKind): Promise<string>;
}
