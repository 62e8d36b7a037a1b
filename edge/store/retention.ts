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
    const before = now - days * DAY_MS;
    // The audit chain is cut only at its start, with a purge record, so that it still verifies.
    deleted[dc.name] = dc.table === 'audit_log' ? store.audit.prune(before, now) : store.retention.purge(dc, before);
  }
  return deleted;
}
