import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ComponentStatus } from '../runtime/component.js';
import { COMPONENT_STATES } from '../messages.js';
import type { StreamStatus } from '../sync/agent.js';
import { counterName, SYSTEM_METRICS, type MetricName } from './metric-names.js';
import { CPU_CORES, LoopLag, diskSpace, flashBytesWritten } from './process-stats.js';

/**
 * Latencies are observed where they happen, by modules that know nothing of the appliance (the
 * readings pipeline, the analyser): one histogram per process, shared by every appliance in it (a
 * test process may run several; a classroom runs one).
 */
const observed = new Registry();
const commitSeconds = new Histogram({
  name: SYSTEM_METRICS.storeCommitSeconds.metric,
  help: SYSTEM_METRICS.storeCommitSeconds.help,
  // A good eMMC commits in a millisecond or two; an SD card near its end of life takes hundreds.
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [observed],
});
const inferenceSeconds = new Histogram({
  name: SYSTEM_METRICS.inferenceSeconds.metric,
  help: SYSTEM_METRICS.inferenceSeconds.help,
  labelNames: ['model'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [observed],
});

/** One group commit of readings took `ms` milliseconds (called by the readings pipeline). */
export function observeCommit(ms: number): void {
  commitSeconds.observe(ms / 1000);
}

/** One inference of `model` took `ms` milliseconds in its worker. */
export function observeInference(model: 'audio' | 'vision', ms: number): void {
  inferenceSeconds.observe({ model }, ms / 1000);
}

/** What /metrics reads at scrape time; each is cheap (no scan of a large table). */
export interface MetricsSources {
  statuses(): ComponentStatus[];
  readings: { readonly committedRows: number; readonly commits: number };
  dataDir: string;
  startedAt: number;
  sync: { readonly enrolled: boolean; streams(): StreamStatus[] };
  now?: () => number;
}

/** Seconds the district is behind on a stream: 0 with nothing waiting. */
export function syncLagSeconds(s: StreamStatus, now: number, startedAt: number): number {
  if (s.backlog === 0) return 0;
  return Math.max(0, (now - (s.lastSuccessAt ?? startedAt)) / 1000);
}

function gauge(r: Registry, m: MetricName, labelNames: string[] = []): Gauge {
  return new Gauge({ name: m.metric, help: m.help, labelNames, registers: [r] });
}

function counter(r: Registry, m: MetricName, labelNames: string[] = []): Counter {
  return new Counter({ name: m.metric, help: m.help, labelNames, registers: [r] });
}

/**
 * The appliance's Prometheus exposition. Everything but the latency histograms is read at scrape
 * time into a registry made for that scrape, so a family appears exactly when something reports it
 * (a counter of a component that is not configured is not served as a misleading 0).
 */
export class ApplianceMetrics {
  readonly #src: MetricsSources;
  readonly #lag = new LoopLag();

  constructor(src: MetricsSources) {
    this.#src = src;
  }

  get contentType(): string {
    return observed.contentType;
  }

  async render(): Promise<string> {
    const r = new Registry();
    const now = this.#src.now?.() ?? Date.now();
    const S = SYSTEM_METRICS;

    const states = gauge(r, S.componentState, ['component', 'kind', 'state']);
    const statuses = this.#src.statuses();
    const families = new Map<string, Gauge | Counter>();
    let unlisted: Gauge | undefined;
    let producers = 0;
    let consumers = 0;
    for (const s of statuses) {
      for (const st of COMPONENT_STATES)
        states.set({ component: s.name, kind: s.kind, state: st }, st === s.state ? 1 : 0);
      for (const [key, value] of Object.entries(s.counters ?? {})) {
        if (!Number.isFinite(value)) continue;
        const m = counterName(key);
        if (!m) {
          unlisted ??= gauge(r, S.unlistedCounter, ['component', 'counter']);
          unlisted.set({ component: s.name, counter: key }, value);
          continue;
        }
        let f = families.get(m.metric);
        if (!f) {
          f = m.type === 'counter' ? counter(r, m, ['component']) : gauge(r, m, ['component']);
          families.set(m.metric, f);
        }
        if (f instanceof Counter) f.inc({ component: s.name }, Math.max(0, value));
        else f.set({ component: s.name }, value);
      }
      if (s.kind === 'media') {
        producers += s.counters?.producers ?? 0;
        consumers += s.counters?.consumers ?? 0;
      }
    }
    if (statuses.some((s) => s.kind === 'media')) {
      const media = gauge(r, S.mediaStreams, ['direction']);
      media.set({ direction: 'sent' }, producers);
      media.set({ direction: 'received' }, consumers);
    }

    counter(r, S.readingsStored).inc(this.#src.readings.committedRows);
    counter(r, S.storeCommits).inc(this.#src.readings.commits);

    const written = flashBytesWritten();
    if (written !== undefined) counter(r, S.flashWritten).inc(written);
    const disk = diskSpace(this.#src.dataDir);
    gauge(r, S.diskFree).set(disk.freeBytes);
    gauge(r, S.diskSize).set(disk.totalBytes);

    const lag = this.#lag.take();
    const loop = gauge(r, S.eventLoopLag, ['quantile']);
    loop.set({ quantile: '0.5' }, lag.p50Ms / 1000);
    loop.set({ quantile: '0.99' }, lag.p99Ms / 1000);
    const cpu = process.cpuUsage();
    counter(r, S.cpuSeconds).inc((cpu.user + cpu.system) / 1e6);
    gauge(r, S.cpuCores).set(CPU_CORES);
    gauge(r, S.rss).set(process.memoryUsage.rss());
    gauge(r, S.uptime).set((now - this.#src.startedAt) / 1000);

    const enrolled = this.#src.sync.enrolled;
    gauge(r, S.syncEnrolled).set(enrolled ? 1 : 0);
    const backlog = gauge(r, S.syncBacklog, ['stream']);
    const quarantined = gauge(r, S.syncQuarantined, ['stream']);
    // Not enrolled, nothing is sent: a lag would grow for ever and say nothing.
    const lagS = enrolled ? gauge(r, S.syncLag, ['stream']) : undefined;
    for (const s of this.#src.sync.streams()) {
      backlog.set({ stream: s.stream }, s.backlog);
      quarantined.set({ stream: s.stream }, s.quarantined);
      lagS?.set({ stream: s.stream }, syncLagSeconds(s, now, this.#src.startedAt));
    }
    return Registry.merge([r, observed]).metrics();
  }

  close(): void {
    this.#lag.close();
  }
}
