import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { TypedEmitter } from './component.js';
import type { LiveEvents } from '../messages.js';
import type { ReadingsPipeline } from '../ingest/readings-pipeline.js';
import type { DeviceKind } from '../store/repos/devices.js';
import type { AnalysisSink } from '../analysis/analyser.js';

/** Everything a component may use, passed as one object (no positional constructor arguments). */
export interface ComponentContext {
  log: Logger;
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  readings: ReadingsPipeline;
  /** Microphones and cameras hand their samples and frames here (interaction analysis). */
  analysis: AnalysisSink;
  /** mqtt:// URL of the embedded broker, valid once the broker has started. */
  brokerUrl(): string;
  /**
   * For simulators only: create the device if needed and issue it a fresh secret, returned once.
   * Real devices are added by people (CLI or admin console).
   */
  issueSimulatedDeviceSecret(deviceId: string, kind: DeviceKind): Promise<string>;
}
