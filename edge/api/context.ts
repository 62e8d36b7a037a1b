import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { ComponentStatus } from '../runtime/component.js';
import type { ConfigSource } from '../config/edit.js';

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
}
