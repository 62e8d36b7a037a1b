import pg from 'pg';
import type { AckedReading, DayFigures, Sample } from './harness.js';
import { p99 } from './harness.js';

export interface ExactlyOnce {
  /** Acknowledged readings the harness holds (each PUBACK it received). */
  ackedReadings: number;
  /** Acknowledged readings not in the district. */
  missingReadings: AckedReading[];
  /** Acknowledged readings the district holds more than once. */
  duplicatedReadings: AckedReading[];
  /** Any reading (MQTT or Modbus) whose device, metric and time appear more than once in the district. */
  duplicateRows: number;
  /** Every reading row the district holds for this appliance. */
  districtReadings: number;
  /** The first doubled readings with the seq of each copy: two seqs mean the appliance stored the reading twice. */
  duplicateSample: { device: string; metric: string; ts: string; seqs: string[] }[];
}

/**
 * What the district holds, compared with what the harness was promised. Keyed by the reading itself
 * (device, metric, time), never by the appliance's row numbers or commit batches, so the check holds
 * whatever way the store groups its commits.
 */
export async function readingsExactlyOnce(
  databaseUrl: string,
  applianceId: string,
  acked: AckedReading[],
): Promise<ExactlyOnce> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ device: string; metric: string; ts: string; n: number; seqs: string[] }>(
      `SELECT payload->>'device' AS device, payload->>'metric' AS metric, payload->>'ts' AS ts, count(*)::int AS n,
              array_agg(seq::text ORDER BY seq) AS seqs
         FROM records WHERE appliance_id = $1 AND stream = 'readings' GROUP BY 1, 2, 3`,
      [applianceId],
    );
    const held = new Map<string, number>();
    let rows = 0;
    let duplicateRows = 0;
    for (const x of r.rows) {
      held.set(`${x.device}\u0000${x.metric}\u0000${x.ts}`, x.n);
      rows += x.n;
      if (x.n > 1) duplicateRows += x.n - 1;
    }
    const missingReadings: AckedReading[] = [];
    const duplicatedReadings: AckedReading[] = [];
    for (const a of acked) {
      const n = held.get(`${a.device}\u0000${a.metric}\u0000${a.ts}`) ?? 0;
      if (n === 0) missingReadings.push(a);
      else if (n > 1) duplicatedReadings.push(a);
    }
    const duplicateSample = r.rows
      .filter((x) => x.n > 1)
      .slice(0, 20)
      .map((x) => ({ device: x.device, metric: x.metric, ts: x.ts, seqs: x.seqs }));
    return {
      ackedReadings: acked.length,
      missingReadings,
      duplicatedReadings,
      duplicateRows,
      districtReadings: rows,
      duplicateSample,
    };
  } finally {
    await c.end();
  }
}

/** Per stream, the district's records and how many of them repeat a key the caller names. */
export async function districtStream(
  databaseUrl: string,
  applianceId: string,
  stream: string,
  key: string,
): Promise<{ rows: number; keys: Map<string, number> }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ k: string; n: number }>(
      `SELECT payload->>'${key}' AS k, count(*)::int AS n FROM records WHERE appliance_id = $1 AND stream = $2 GROUP BY 1`,
      [applianceId, stream],
    );
    return { rows: r.rows.reduce((s, x) => s + x.n, 0), keys: new Map(r.rows.map((x) => [x.k, x.n])) };
  } finally {
    await c.end();
  }
}

/** CPU share of two cores, RSS and lag over one simulated day's samples. */
export function dayFigures(
  day: string,
  from: number,
  to: number,
  samples: Sample[],
  clkTck: number,
  events: DayFigures['events'],
): DayFigures {
  const inDay = samples.filter((s) => s.at >= from && s.at < to);
  let ticks = 0;
  let waitNs = 0;
  let waitSpanMs = 0;
  for (let i = 1; i < inDay.length; i++) {
    const a = inDay[i - 1] as Sample;
    const b = inDay[i] as Sample;
    // A restarted appliance (after a kill -9) is a new pid: all its ticks are this day's.
    ticks += b.pid === a.pid ? Math.max(0, b.cpuTicks - a.cpuTicks) : b.cpuTicks;
    if (b.pid === a.pid && a.runWaitNs !== undefined && b.runWaitNs !== undefined) {
      waitNs += Math.max(0, b.runWaitNs - a.runWaitNs);
      waitSpanMs += b.at - a.at;
    }
  }
  const span = inDay.length > 1 ? ((inDay.at(-1) as Sample).at - (inDay[0] as Sample).at) / 1000 : 0;
  const rss = inDay.map((s) => s.rssKb / 1024);
  // The evening: after the day's nightly sync (0.9 of the day), no lesson, nothing starting.
  const evening = inDay.filter((s) => s.at >= from + 0.92 * (to - from));
  const endPid = evening.at(-1)?.pid;
  const eveningRss = evening.filter((s) => s.pid === endPid).map((s) => s.rssKb / 1024);
  const lag = inDay.flatMap((s) => (s.loopLagMs !== undefined ? [s.loopLagMs] : []));
  const probe = inDay.flatMap((s) => (s.probeMs !== undefined ? [s.probeMs] : []));
  return {
    day,
    wallMs: to - from,
    cpuShare: span > 0 ? ticks / clkTck / span / 2 : 0,
    rssMb: rss.length ? rss.reduce((s, x) => s + x, 0) / rss.length : 0,
    rssMaxMb: rss.length ? Math.max(...rss) : 0,
    runWaitShare: waitSpanMs > 0 ? waitNs / 1e6 / waitSpanMs : null,
    rssEveningMb: eveningRss.length ? eveningRss.reduce((a, x) => a + x, 0) / eveningRss.length : null,
    eveningPid: endPid ?? null,
    loopLagMsP99: p99(lag),
    probeMsP99: p99(probe),
    events,
  };
}

/**
 * How much the evening RSS grew from one day to the next while the same process ran (no kill -9
 * between the two evenings): the mean of those day-to-day differences (MB per simulated day), or null
 * when no two consecutive evenings share a process. A restart resets memory, so a slope across one
 * says nothing of a leak.
 */
export function eveningGrowth(days: { rssEveningMb: number | null; eveningPid: number | null }[]): number | null {
  const steps: number[] = [];
  for (let i = 1; i < days.length; i++) {
    const a = days[i - 1];
    const b = days[i];
    if (a?.rssEveningMb == null || b?.rssEveningMb == null || a.eveningPid === null || a.eveningPid !== b.eveningPid)
      continue;
    steps.push(b.rssEveningMb - a.rssEveningMb);
  }
  return steps.length ? steps.reduce((x, y) => x + y, 0) / steps.length : null;
}

/** Least-squares slope of y over x = 0, 1, 2, … (MB per simulated day). */
export function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}
