import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { topics } from '../../edge/broker/topics.js';
import { localTime } from '../../edge/config/timetable.js';
import { openPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { ThermometerSim } from './thermometer-sim.js';
import type { DoorSimSchema } from './door-sim.kind.js';
import { connectDevice } from './device-mqtt.js';

/**
 * Demo door station: an infrared thermometer on a socat cable and a Wi-Fi card reader on MQTT.
 * Children arrive one by one: every `tapEveryMs` the next student without a check today taps
 * their card; the thermometer reads a normal forehead, now and then a warm one.
 */
export class DoorSim extends BaseComponent {
  readonly kind = 'door-sim';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof DoorSimSchema>;
  #pty: PtyPair | undefined;
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;
  thermometer: ThermometerSim | undefined;

  constructor(ctx: ComponentContext, cfg: Static<typeof DoorSimSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
  }

  async start(): Promise<void> {
    mkdirSync(this.#cfg.ptyDir, { recursive: true });
    this.#pty = await openPtyPair(this.#cfg.ptyDir);
    this.thermometer = new ThermometerSim();
    await this.thermometer.listen(this.#pty.b);
    const secret = await this.#ctx.issueSimulatedDeviceSecret(this.#cfg.readerDeviceId, 'card-reader');
    this.#client = connectDevice(this.#ctx.deviceBroker(), {
      username: this.#cfg.readerDeviceId,
      password: secret,
      clientId: `${this.#cfg.readerDeviceId}_${process.pid}`,
      reconnectPeriod: 1000,
    });
    this.#timer = setInterval(() => this.#tap(), this.#cfg.tapEveryMs);
    this.setState('running');
  }

  #tap(): void {
    const card = this.#ctx.store.health.nextUncheckedCard(
      localTime(Date.now(), this.#ctx.config.appliance.timezone).date,
    );
    if (!card || !this.#client?.connected || !this.thermometer) return;
    this.#n++;
    this.thermometer.next = { objectC: this.#n % 11 === 0 ? 37.6 : 36.2 + (this.#n % 6) / 10, ambientC: 21.5 };
    this.#client.publish(topics.deviceMessage(this.#cfg.readerDeviceId, 'card'), JSON.stringify({ card }), { qos: 1 });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#client?.endAsync();
    await this.thermometer?.close();
    await this.#pty?.close();
    this.setState('stopped');
  }
}
