import { METRICS } from '../metrics.js';
import { topics } from '../broker/topics.js';

/** Home Assistant device classes of our metrics (https://www.home-assistant.io/integrations/sensor/). */
const DEVICE_CLASS: Record<string, string> = {
  co2_ppm: 'carbon_dioxide',
  temperature_c: 'temperature',
  humidity_pct: 'humidity',
  pm25_ugm3: 'pm25',
  pm10_ugm3: 'pm10',
  tvoc_ppb: 'volatile_organic_compounds_parts',
  illuminance_lx: 'illuminance',
  noise_dba: 'sound_pressure',
};

const HA_UNIT: Record<string, string> = { '%RH': '%', 'dB(A)': 'dB' };

/**
 * Makes every sensor value visible to Home Assistant, which many schools' IT staff already run:
 * one retained discovery message per (sensor, metric) when first seen, and the value on a retained
 * state topic at most once per interval.
 */
export interface HaPublisherOptions {
  applianceId: string;
  publish: (topic: string, payload: string, retain: boolean) => void;
  intervalMs: number;
  discovery: boolean;
}

export class HaPublisher {
  readonly #o: HaPublisherOptions;
  readonly #announced = new Set<string>();
  readonly #lastSent = new Map<string, number>();

  constructor(o: HaPublisherOptions) {
    this.#o = o;
  }

  value(deviceId: string, metric: string, value: number, now = Date.now()): void {
    const key = `${deviceId}/${metric}`;
    if (this.#o.discovery && !this.#announced.has(key)) {
      this.#announced.add(key);
      this.#announce(deviceId, metric);
    }
    if (now - (this.#lastSent.get(key) ?? 0) < this.#o.intervalMs) return;
    this.#lastSent.set(key, now);
    this.#o.publish(topics.state(deviceId, metric), String(value), true);
  }

  #announce(deviceId: string, metric: string): void {
    const spec = METRICS[metric];
    const objectId = `classedge_${this.#o.applianceId}_${deviceId}_${metric}`.replace(/[^a-zA-Z0-9_]/g, '_');
    const config: Record<string, unknown> = {
      name: spec ? `${spec.label.en} (${deviceId})` : `${metric} (${deviceId})`,
      unique_id: objectId,
      object_id: objectId,
      state_topic: topics.state(deviceId, metric),
      availability_topic: topics.availability(),
      unit_of_measurement: spec ? (HA_UNIT[spec.unit] ?? spec.unit) : undefined,
      state_class: 'measurement',
      device: {
        identifiers: [`classedge_${this.#o.applianceId}_${deviceId}`],
        name: `${deviceId} (${this.#o.applianceId})`,
        manufacturer: 'ClassEdge',
        via_device: `classedge_${this.#o.applianceId}`,
      },
    };
    if (DEVICE_CLASS[metric]) config.device_class = DEVICE_CLASS[metric];
    this.#o.publish(topics.haDiscovery(objectId), JSON.stringify(config), true);
  }
}
