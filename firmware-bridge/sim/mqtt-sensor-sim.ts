import type { MqttClient } from 'mqtt';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { topics } from '../../edge/broker/topics.js';
import type { MqttSensorSimSchema } from './mqtt-sensor-sim.kind.js';
import { RoomDrift } from './drift.js';
import { connectedWithin } from './mqtt-ready.js';
import { connectDevice } from './device-mqtt.js';

type SimConfig = Static<typeof MqttSensorSimSchema>;

/**
 * A Wi-Fi classroom sensor node (ESP32 class) as seen from the appliance: it connects to the real
 * broker with its own device credentials and publishes `reading` messages at QoS 1, exactly as the
 * firmware would, with values that drift like a real room (drift.ts).
 */
export class MqttSensorSim extends BaseComponent {
  readonly kind = 'mqtt-sensor-sim';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: SimConfig;
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #published = 0;
  readonly #room: RoomDrift;

  constructor(ctx: ComponentContext, cfg: SimConfig) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#room = new RoomDrift(cfg.seed, cfg.metrics);
  }

  protected override counters(): Record<string, number> {
    return { published: this.#published };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const secret = await this.#ctx.issueSimulatedDeviceSecret(this.#cfg.deviceId, 'sensor');
    const client = connectDevice(this.#ctx.deviceBroker(), {
      username: this.#cfg.deviceId,
      password: secret,
      clientId: `${this.#cfg.deviceId}_${process.pid}`,
      reconnectPeriod: 1000,
      will: {
        topic: topics.deviceMessage(this.#cfg.deviceId, 'status'),
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
      },
    });
    this.#client = client;
    client.on('connect', () => {
      this.setState('running');
      client.publish(topics.deviceMessage(this.#cfg.deviceId, 'status'), 'online', { qos: 1, retain: true });
    });
    client.on('offline', () => this.setState('degraded', 'not connected to the broker'));
    client.on('error', (err) => this.#ctx.log.warn({ err: err.message }, 'simulated sensor MQTT error'));
    this.#timer = setInterval(() => this.#publish(), this.#cfg.intervalMs);
    if (await connectedWithin(client, 5000)) this.#publish();
    else this.setState('degraded', 'broker did not answer within 5 s');
  }

  #publish(): void {
    const client = this.#client;
    if (!client?.connected) return;
    const metrics: Record<string, number> = {};
    for (const [m, v] of Object.entries(this.#room.next())) metrics[m] = Math.round(v * 10) / 10;
    client.publish(
      topics.deviceMessage(this.#cfg.deviceId, 'reading'),
      JSON.stringify({ ts: Date.now(), metrics }),
      { qos: 1 },
      (err) => {
        if (!err) this.#published++;
      },
    );
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
        client.publish(topics.deviceMessage(this.#cfg.deviceId, 'status'), 'offline', { qos: 1, retain: true }, () =>
          resolve(),
        );
      });
      await client.endAsync();
    }
    this.setState('stopped');
  }
}
