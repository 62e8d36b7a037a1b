import type { Config } from '../config/schema.js';
import type { Store } from './store.js';
import { dataClasses } from './data-classes.js';

const DAY_MS = 86_400_000;

/** Delete what each data class's retention says is due; returns rows deleted per class. */
export function enforceRetention(store: Store, config: Config, now = Date.now()): Record<string, number> {
  const deleted: Record<string, number> = {};
  for (const dc of dataClasses) {
    const days = dc.retentionDays(config);
    if (days === undefined || dc.timeColumn === undefined) continue;
    deleted[dc.name] = store.retention.purge(dc, now - days * DAY_MS);
  }
  return deleted;
}
