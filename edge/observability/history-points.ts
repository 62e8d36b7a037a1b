import type { Static } from '@sinclair/typebox';
import type { HistoryPoint } from '../api/contract/observability.js';
import type { HistorySample } from '../store/repos/system-history.js';

export const RANGE_S = { '24h': 86_400, '7d': 7 * 86_400 } as const;
/** A chart of more points than the panel has pixels shows nothing more and costs the admin's browser. */
export const MAX_POINTS = 400;

/**
 * Merge samples into buckets of `bucketS` (aligned to the epoch, so a point does not move between
 * two requests): means of CPU, memory and disk, the write rate over the time covered, the worst
 * event-loop lag and sync lag. Empty buckets are left out (the chart draws a gap, not a zero).
 */
export function historyPoints(samples: readonly HistorySample[], bucketS: number): Static<typeof HistoryPoint>[] {
  const bucketMs = bucketS * 1000;
  const out: Static<typeof HistoryPoint>[] = [];
  let cur: { key: number; items: HistorySample[] } | undefined;
  const flush = (): void => {
    if (!cur) return;
    const xs = cur.items;
    const mean = (f: (s: HistorySample) => number): number => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    const counted = xs.filter((s) => s.flashBytes !== null);
    const spanMs = counted.reduce((a, s) => a + s.spanMs, 0);
    const flash = counted.reduce((a, s) => a + (s.flashBytes ?? 0), 0);
    const lags = xs.map((s) => s.syncLagS).filter((v): v is number => v !== null);
    out.push({
      ts: xs[xs.length - 1]!.ts,
      cpuShare: mean((s) => s.cpuShare),
      rssBytes: mean((s) => s.rssBytes),
      diskFreeBytes: mean((s) => s.diskFreeBytes),
      flashBytesPerHour: counted.length > 0 && spanMs > 0 ? (flash / spanMs) * 3_600_000 : null,
      loopLagP99Ms: Math.max(...xs.map((s) => s.loopLagP99Ms)),
      syncLagS: lags.length > 0 ? Math.max(...lags) : null,
    });
  };
  for (const s of samples) {
    const key = Math.floor(s.ts / bucketMs);
    if (cur?.key !== key) {
      flush();
      cur = { key, items: [] };
    }
    cur.items.push(s);
  }
  flush();
  return out;
}
