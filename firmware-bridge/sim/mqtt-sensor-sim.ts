import mqtt, { type MqttClient } from 'mqtt';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { topics } from '../../edge/broker/topics.js';
import type { MqttSensorSimSchema } from './mqtt-sensor-sim.kind.js';

type SimConfig = Static<typeof MqttSensorSimSchema>;

/** Deterministic pseudo-random numbers (mulberry32), so a seeded demo or test repeats itself. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Walk {
  metric: string;
  value: number;
  min: number;
  max: number;
  step: number;
  /** Drift per sample, e.g. CO2 rising while a class breathes with the windows shut. */
  drift: number;
}

/**
 * A Wi-Fi classroom sensor node (ESP32 class) as seen from the appliance: it connects to the real
 * broker with its own device credentials and publishes `reading` messages at QoS 1, exactly as the
 * firmware would. Values drift like a real room: CO2 climbs during a lesson, then falls.
 */
export class MqttSensorSim extends BaseComponent {
  readonly kind = 'mqtt-sensor-sim';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: SimConfig;
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #published = 0;
  #random: () => number;
  readonly #walks: Walk[] = [
    { metric: 'co2_ppm', value: 620, min: 420, max: 1800, step: 12, drift: 4 },
    { metric: 'temperature_c', value: 23.5, min: 16, max: 30, step: 0.05, drift: 0 },
    { metric: 'humidity_pct', value: 48, min: 25, max: 80, step: 0.3, drift: 0 },
    { metric: 'pm25_ugm3', value: 18, min: 2, max: 150, step: 1.5, drift: 0 },
  ];

  constructor(ctx: ComponentContext, cfg: SimConfig) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#random = rng(cfg.seed);
  }

  protected override counters(): Record<string, number> {
    return { published: this.#published };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const secret = await this.#ctx.issueSimulatedDeviceSecret(this.#cfg.deviceId, 'sensor');
    const client = mqtt.connect(this.#ctx.brokerUrl(), {
      username: this.#cfg.deviceId,
      password: secret,
      clientId: `${this.#cfg.deviceId}-${process.pid}`,
      reconnectPeriod: 1000,
      will: { topic: topics.deviceMessage(this.#cfg.deviceId, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      this.setState('running');
      client.publish(topics.deviceMessage(this.#cfg.deviceId, 'status'), 'online', { qos: 1, retain: true });
    });
    client.on('offline', () => this.setState('degraded', 'not connected to the broker'));
    client.on('error', (err) => this.#ctx.log.warn({ err: err.message }, 'simulated sensor MQTT error'));
    this.#timer = setInterval(() => this.#publish(), this.#cfg.intervalMs);
    // Ready when connected; a broker that does not answer leaves the simulator degraded, not the start hung.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.setState('degraded', 'broker did not answer within 5 s');
        resolve();
      }, 5000);
      client.once('connect', () => {
        clearTimeout(timer);
        this.#publish();
        resolve();
      });
    });
  }

  #publish(): void {
    const client = this.#client;
    if (!client?.connected) return;
    const metrics: Record<string, number> = {};
    for (const w of this.#walks) {
      // CO2 drifts up for a 40-minute lesson, then the windows open for 10.
      const phase = (Date.now() / 60_000) % 50;
      const drift = phase < 40 ? w.drift : -w.drift * 4;
      w.value = Math.min(w.max, Math.max(w.min, w.value + drift + (this.#random() * 2 - 1) * w.step));
      metrics[w.metric] = Math.round(w.value * 10) / 10;
    }
    client.publish(topics.deviceMessage(this.#cfg.deviceId, 'reading'), JSON.stringify({ ts: Date.now(), metrics }), { qos: 1 }, (err) => {
      if (!err) this.#published++;
    });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      // A clean goodbye: the status goes offline as the will would have said.
      await new Promise<void>((resolve) => {
        if (!client.connected) return resolve();
        client.publish(topics.deviceMessage(this.#cfg.deviceId, 'status'), 'offline', { qos: 1, retain: true }, () => resolve());
      });
      await client.endAsync();
    }
    this.setState('stopped');
  }
}
