import { metricProblem } from '../metrics.js';
import type { ReadingRow } from '../store/repos/readings.js';

/**
 * The one normalisation every source uses (MQTT, Modbus, simulators): known metric, finite number,
 * plausible range. Returns the good rows and what was refused and why.
 */
export function metricsToRows(
  deviceId: string,
  metrics: Record<string, unknown>,
  ts: number,
  now: number,
): { rows: ReadingRow[]; rejected: { metric: string; value: unknown; expected: string }[] } {
  const rows: ReadingRow[] = [];
  const rejected: { metric: string; value: unknown; expected: string }[] = [];
  for (const [metric, value] of Object.entries(metrics)) {
    const problem = metricProblem(metric, value);
    if (problem !== undefined) rejected.push({ metric, value, expected: problem });
    else rows.push({ deviceId, metric, value: value as number, ts, receivedAt: now });
  }
  return { rows, rejected };
}
