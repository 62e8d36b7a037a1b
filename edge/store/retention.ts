import type { Config } from '../config/schema.js';
import type { Store } from './store.js';
import { dataClasses } from './data-classes.js';
import { purgeCaptures } from '../analysis/capture-files.js';

const DAY_MS = 86_400_000;

/**
 * Delete what each data class's retention says is due; returns rows deleted per class, plus
 * `outbox:<stream>` for queued copies withdrawn and `diagnostic-captures` for capture folders removed.
 *
 * Queued copies of student-sensitive records are withdrawn at the same age as the records, whether
 * or not the box is enrolled: the district confirms nothing on a box that is not, and on one that
 * is, a record the district has not taken within the retention period is not sent later either
 * (minors' health data must not outlive its time). Each withdrawal is audited with its count.
 */
export function enforceRetention(store: Store, config: Config, now = Date.now()): Record<string, number> {
  const deleted: Record<string, number> = {};
  let sensitive = 0;
  const withdrawn: Record<string, number> = {};
  for (const dc of dataClasses) {
    const days = dc.retentionDays(config);
    if (days === undefined || dc.timeColumn === undefined) continue;
    const before = now - days * DAY_MS;
    // The audit chain is cut only at its start, with a purge record, so that it still verifies.
    const n = dc.table === 'audit_log' ? store.audit.prune(before, now) : store.retention.purge(dc, before);
    deleted[dc.name] = n;
    if (dc.personal === 'student-sensitive') sensitive += n;
    if (dc.personal === 'student-sensitive' && dc.outboxStreams)
      for (const [stream, k] of Object.entries(store.outbox.withdrawExpired(dc.outboxStreams, before))) {
        deleted[`outbox:${stream}`] = k;
        if (k > 0) withdrawn[stream] = k;
      }
  }
  const totalWithdrawn = Object.values(withdrawn).reduce((a, b) => a + b, 0);
  if (totalWithdrawn > 0)
    store.audit.record({
      actor: 'system',
      action: 'retention.outbox-withdrawn',
      result: 'ok',
      detail: { streams: withdrawn, enrolled: store.meta.get('enrolled') !== undefined },
    });
  const captures = purgeCaptures(config, now);
  deleted['diagnostic-captures'] = captures;
  if (captures > 0)
    store.audit.record({
      actor: 'system',
      action: 'analysis.capture.purge',
      result: 'ok',
      detail: { removed: captures },
    });
  if (sensitive + totalWithdrawn > 0) store.retention.checkpoint();
  return deleted;
}
