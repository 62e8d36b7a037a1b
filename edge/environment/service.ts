import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { LiveEvents } from '../messages.js';
import type { EnvAlert } from '../store/repos/env-alerts.js';
import { METRICS } from '../metrics.js';
import { MetricWindows, RollupStore, MINUTE } from './rollups.js';
import { WINDOW_MS, type Rule, type Window } from './rules.js';
import { HaPublisher } from './ha-discovery.js';
import { errorMessage } from '../errors.js';
import { roomValueOf } from './room-value.js';
import { EnvDayReporter } from './day-report.js';

/** A sensor value older than this no longer speaks for the room. */
const STALE_MS = 10 * MINUTE;

export interface MetricView {
  metric: string;
  unit: string;
  devices: { deviceId: string; value: number; ts: number }[];
  /** The room's value now (room-value.ts): what every screen shows for the quantity. */
  room: number | null;
  windows: Partial<Record<Exclude<Window, 'instant'>, { avg: number; coverage: number }>>;
  status: 'ok' | 'warn' | 'alert';
}

export interface EnvironmentView {
  metrics: MetricView[];
  alerts: EnvAlert[];
  desk: {
    minLx: number;
    uniformityMin: number;
    averageLx: number | null;
    uniformity: number | null;
    sensors: number;
    ok: boolean | null;
  };
  rules: Rule[];
}

/**
 * The room's air and light against the standards: per-minute rollups, rolling averages per each
 * standard's window, alerts with hysteresis (start, end, peak kept), live events, and the same
 * values on MQTT with Home Assistant discovery.
 */
/** An alert as the live event the kiosk and MQTT tools receive. */
export function alertEvent(a: EnvAlert, state: 'raised' | 'cleared'): LiveEvents['env.alert'] {
  return {
    id: a.id,
    ruleId: a.ruleId,
    metric: a.metric,
    level: a.level,
    window: a.window,
    direction: a.direction,
    threshold: a.threshold,
    ...(a.advice !== undefined ? { advice: a.advice } : {}),
    startedAt: a.startedAt,
    ...(a.endedAt !== undefined ? { endedAt: a.endedAt } : {}),
    peak: a.peak,
    value: a.value,
    state,
  };
}

export interface EnvironmentOptions {
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  log: Logger;
  /** Publish on the embedded broker as the appliance (state topics, discovery). */
  publish: (topic: string, payload: string, retain: boolean) => void;
  /** The wall clock of the daily summary to the district; Date.now by default. */
  now?: () => number;
}

export class EnvironmentService extends BaseComponent {
  readonly name = 'environment';
  readonly kind = 'environment-service';
  readonly #o: EnvironmentOptions;
  readonly #rollups: RollupStore;
  readonly #windows = new Map<string, MetricWindows>();
  readonly #latest = new Map<string, Map<string, { value: number; ts: number }>>();
  readonly #active = new Map<string, EnvAlert>();
  readonly #ha: HaPublisher;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dayTimer: NodeJS.Timeout | undefined;
  readonly #days: EnvDayReporter;
  #c = { readings: 0, raised: 0, cleared: 0, flushes: 0, dayReports: 0 };
  /** Active alerts whose peak rose since the last flush (by rule). */
  readonly #peakDirty = new Set<string>();

  constructor(o: EnvironmentOptions) {
    super();
    this.#o = o;
    this.#rollups = new RollupStore(o.store);
    this.#days = new EnvDayReporter(o.config, o.store);
    this.#ha = new HaPublisher({
      applianceId: o.config.appliance.id,
      publish: o.publish,
      intervalMs: o.config.environment.stateIntervalMs,
      discovery: o.config.environment.haDiscovery,
    });
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c, activeAlerts: this.#active.size };
  }

  #win(metric: string): MetricWindows {
    let w = this.#windows.get(metric);
    if (!w) {
      w = new MetricWindows();
      this.#windows.set(metric, w);
    }
    return w;
  }

  async start(): Promise<void> {
    this.setState('starting');
    const since = Date.now() - 24 * 3_600_000;
    for (const r of this.#rollups.roomBuckets(since)) this.#win(r.metric).merge(r.minute, r.b);
    const caught = this.#rollups.catchUp((r) => this.#win(r.metric).add(r.ts, r.value));
    if (caught > 0) this.#o.log.info({ readings: caught }, 'rolled up readings stored before the last stop');
    for (const r of this.#o.store.readings.latest()) this.#setLatest(r.deviceId, r.metric, r.value, r.ts);
    for (const a of this.#o.store.envAlerts.active()) this.#active.set(a.ruleId, a);
    this.#unsubscribe = this.#o.bus.on('reading', (e) => this.onReading(e));
    // Rollups are derived: after a crash the readings past the watermark are rolled up again, so they
    // are written as rarely as the readings themselves (flash wear, docs/storage.md).
    this.#timer = this.every(
      this.#o.config.store.applyIntervalMs,
      () => this.flush(),
      (err) => this.#o.log.error({ err }, 'environment flush failed; retrying at the next tick'),
    );
    // The day's summary to the district: now when a lesson has passed (rollups caught up above), then
    // after each lesson's end.
    const failed = (err: unknown): void =>
      this.#o.log.error({ err }, 'daily environment summary to the district not made; tried again in a minute');
    try {
      this.reportDayIfDue(true);
    } catch (err) {
      failed(err);
    }
    this.#dayTimer = this.every(60_000, () => this.reportDayIfDue(), failed);
    this.setState('running');
  }

  /**
   * The day's environment summary to the district (stream `env-days`, day-report.ts) when a lesson
   * ended since the last one, or with `atStart` when any lesson of today has ended. Returns whether
   * one was made.
   */
  reportDayIfDue(atStart = false): boolean {
    this.flush();
    const made = this.#days.reportIfDue(this.#o.now?.() ?? Date.now(), atStart);
    if (made) this.#c.dayReports++;
    return made;
  }

  flush(): void {
    try {
      for (const ruleId of this.#peakDirty) {
        const a = this.#active.get(ruleId);
        if (a) this.#o.store.envAlerts.updatePeak(a.id, a.peak, a.value);
      }
      this.#peakDirty.clear();
      if (this.#rollups.flush() > 0) this.#c.flushes++;
    } catch (err) {
      this.setState('degraded', `rollup flush failed: ${errorMessage(err)}`);
    }
  }

  #setLatest(deviceId: string, metric: string, value: number, ts: number): void {
    let m = this.#latest.get(metric);
    if (!m) {
      m = new Map();
      this.#latest.set(metric, m);
    }
    const cur = m.get(deviceId);
    if (!cur || cur.ts <= ts) m.set(deviceId, { value, ts });
  }

  /** One committed reading (all its metrics). Public so a benchmark can drive it directly. */
  onReading(e: LiveEvents['reading']): void {
    const touched = new Set<string>();
    for (const [metric, value] of Object.entries(e.metrics)) {
      this.#c.readings++;
      this.#rollups.add({ deviceId: e.deviceId, metric, value, ts: e.ts, receivedAt: e.receivedAt });
      this.#win(metric).add(e.ts, value);
      this.#setLatest(e.deviceId, metric, value, e.ts);
      this.#ha.value(e.deviceId, metric, value);
      touched.add(metric);
    }
    for (const rule of this.#o.config.environment.rules) if (touched.has(rule.metric)) this.#evaluate(rule, e.ts);
  }

  /** The value a rule judges: the worst fresh sensor for instant rules, the room's average otherwise. */
  #valueFor(rule: Rule, now: number): number | undefined {
    if (rule.window === 'instant') {
      const fresh = [...(this.#latest.get(rule.metric)?.values() ?? [])]
        .filter((v) => now - v.ts < STALE_MS)
        .map((v) => v.value);
      if (fresh.length === 0) return undefined;
      const high = Math.max(...fresh);
      const low = Math.min(...fresh);
      if (rule.max !== undefined && high > rule.max) return high;
      if (rule.min !== undefined && low < rule.min) return low;
      const active = this.#active.get(rule.id);
      return active?.direction === 'low' ? low : high;
    }
    const a = this.#windows.get(rule.metric)?.average(WINDOW_MS[rule.window]);
    if (!a || a.coverage < this.#o.config.environment.minCoverage) return undefined;
    return a.avg;
  }

  #evaluate(rule: Rule, now: number): void {
    const value = this.#valueFor(rule, now);
    if (value === undefined) return;
    const active = this.#active.get(rule.id);
    if (active) {
      const worse = active.direction === 'high' ? value > active.peak : value < active.peak;
      if (worse) active.peak = value;
      active.value = value;
      const clear =
        active.direction === 'high'
          ? value < (rule.max ?? Infinity) - rule.hysteresis
          : value > (rule.min ?? -Infinity) + rule.hysteresis;
      if (clear) this.#clear(active, now);
      // Written with the rollups (flush): a rising CO₂ peak was a database commit (and an outbox copy)
      // per reading. After a crash the alert keeps the peak of the last flush.
      else if (worse) this.#peakDirty.add(active.ruleId);
      return;
    }
    const direction =
      rule.max !== undefined && value > rule.max
        ? 'high'
        : rule.min !== undefined && value < rule.min
          ? 'low'
          : undefined;
    if (!direction) return;
    const advice = direction === 'high' ? rule.adviceHigh : rule.adviceLow;
    const alert = this.#o.store.envAlerts.open({
      ruleId: rule.id,
      metric: rule.metric,
      level: rule.level,
      window: rule.window,
      direction,
      threshold: (direction === 'high' ? rule.max : rule.min) as number,
      advice,
      startedAt: now,
      peak: value,
      value,
    });
    this.#active.set(rule.id, alert);
    this.#c.raised++;
    this.#o.log.warn({ rule: rule.id, value, threshold: alert.threshold }, 'environment alert raised');
    this.#emit(alert, 'raised');
  }

  #clear(a: EnvAlert, now: number): void {
    a.endedAt = now;
    this.#peakDirty.delete(a.ruleId);
    this.#o.store.envAlerts.close(a.id, now, a.peak, a.value);
    this.#active.delete(a.ruleId);
    this.#c.cleared++;
    this.#o.log.info({ rule: a.ruleId, peak: a.peak }, 'environment alert cleared');
    this.#emit(a, 'cleared');
  }

  #emit(a: EnvAlert, state: 'raised' | 'cleared'): void {
    this.#o.bus.safeEmit('env.alert', alertEvent(a, state));
  }

  /**
   * The room's value of a metric now, from the sensors heard within the last minutes: the highest
   * for CO₂ (the ventilate-now rule judges the worst corner), the average otherwise (desk light).
   */
  roomValue(metric: string, now = Date.now()): number | undefined {
    return roomValueOf(metric, this.#latest.get(metric)?.values() ?? [], now);
  }

  view(now = Date.now()): EnvironmentView {
    const env = this.#o.config.environment;
    const metrics: MetricView[] = [];
    for (const [metric, devices] of this.#latest) {
      const spec = METRICS[metric];
      const w = this.#windows.get(metric);
      const windows: MetricView['windows'] = {};
      for (const [name, ms] of Object.entries(WINDOW_MS) as [Exclude<Window, 'instant'>, number][]) {
        const a = w?.average(ms);
        if (a) windows[name] = { avg: Math.round(a.avg * 100) / 100, coverage: Math.round(a.coverage * 100) / 100 };
      }
      const levels = [...this.#active.values()].filter((a) => a.metric === metric).map((a) => a.level);
      const room = roomValueOf(metric, devices.values(), now);
      metrics.push({
        metric,
        unit: spec?.unit ?? '',
        devices: [...devices].map(([deviceId, v]) => ({ deviceId, value: v.value, ts: v.ts })),
        room: room === undefined ? null : Math.round(room * 100) / 100,
        windows,
        status: levels.includes('alert') ? 'alert' : levels.includes('warn') ? 'warn' : 'ok',
      });
    }
    const order = Object.keys(METRICS);
    metrics.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
    const lux = [...(this.#latest.get('illuminance_lx')?.values() ?? [])]
      .filter((v) => now - v.ts < STALE_MS)
      .map((v) => v.value);
    const avgLx = lux.length ? lux.reduce((a, b) => a + b, 0) / lux.length : null;
    const uniformity = lux.length >= 2 && avgLx ? Math.min(...lux) / avgLx : null;
    return {
      metrics,
      alerts: [...this.#active.values()],
      desk: {
        minLx: env.deskIlluminanceMinLx,
        uniformityMin: env.deskUniformityMin,
        averageLx: avgLx === null ? null : Math.round(avgLx),
        uniformity: uniformity === null ? null : Math.round(uniformity * 100) / 100,
        sensors: lux.length,
        ok:
          avgLx === null
            ? null
            : avgLx >= env.deskIlluminanceMinLx && (uniformity === null || uniformity >= env.deskUniformityMin),
      },
      rules: env.rules,
    };
  }

  history(metric: string, hours: number): { ts: number; avg: number; min: number; max: number }[] {
    this.flush();
    return this.#rollups.roomBuckets(Date.now() - hours * 3_600_000, metric).map((r) => ({
      ts: r.minute * MINUTE,
      avg: Math.round((r.b.sum / r.b.n) * 100) / 100,
      min: r.b.min,
      max: r.b.max,
    }));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#dayTimer) clearInterval(this.#dayTimer);
    this.#dayTimer = undefined;
    this.flush();
    this.setState('stopped');
  }
}
