import { metricProblem } from '../metrics.js';
import type { ReadingRow } from '../store/repos/readings.js';
import { DEFAULT_MAX_SKEW_MS, isoOr, timestampInRange, timestampRange } from './timestamps.js';

/**
 * The one normalisation every source uses (MQTT, Modbus, simulators): known metric, finite number,
 * plausible range, and a time from 2020-01-01 to a little after `now` (a Modbus poll stamps the
 * appliance's own clock, which is 1970 until it is set). Returns the good rows and what was refused and why.
 */
export function metricsToRows(
  deviceId: string,
  metrics: Record<string, unknown>,
  ts: number,
  now: number,
  skewMs = DEFAULT_MAX_SKEW_MS,
): { rows: ReadingRow[]; rejected: { metric: string; value: unknown; expected: string }[] } {
  const rows: ReadingRow[] = [];
  const rejected: { metric: string; value: unknown; expected: string }[] = [];
  if (!timestampInRange(ts, now, skewMs)) {
    const expected = `${timestampRange(now, skewMs)} as the reading's time (it was ${Number.isFinite(ts) ? isoOr(ts) : 'invalid'})`;
    for (const [metric, value] of Object.entries(metrics)) rejected.push({ metric, value, expected });
    return { rows, rejected };
  }
  for (const [metric, value] of Object.entries(metrics)) {
    const problem = metricProblem(metric, value);
    if (problem !== undefined) rejected.push({ metric, value, expected: problem });
    else rows.push({ deviceId, metric, value: value as number, ts, receivedAt: now });
  }
  return { rows, rejected };
}
