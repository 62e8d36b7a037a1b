import type { MqttClient } from 'mqtt';
import type { DeviceBrokerAddress } from '../../edge/runtime/context.js';
import { connectDevice } from './device-mqtt.js';
import { connectedWithin } from './mqtt-ready.js';

/**
 * What a misbehaving Wi-Fi switch does:
 * - silent: switches, but its reports never arrive;
 * - deaf: takes no command at all;
 * - wrong-state: reports the other state from the one it is in.
 * (A switch that drops off the network is `disconnect()`: the broker sends its last will.)
 */
export type TasmotaFault = 'silent' | 'deaf' | 'wrong-state';

/**
 * The far end of an MQTT switch or dimmer as Tasmota firmware behaves: it connects with its own
 * device credentials, with `tele/<topic>/LWT` Offline as its retained last will and Online once
 * connected, takes `cmnd/<topic>/POWERn` (ON, OFF, TOGGLE, empty = ask), `Dimmer` 0-100 and
 * `STATE`, and answers on `stat/<topic>/RESULT` (JSON) and `stat/<topic>/POWERn`, with
 * `tele/<topic>/STATE` every telePeriodMs. A single-relay device says plain POWER.
 */
export class TasmotaDevice {
  readonly topic: string;
  readonly relays: boolean[];
  dimmer = 100;
  fault: TasmotaFault | undefined;
  /** The last IRhvac command sent through this device's IR LED (an IR blaster). */
  irhvac: Record<string, unknown> | undefined;
  /** Commands received, oldest first. */
  readonly commands: string[] = [];
  readonly #o: {
    address: DeviceBrokerAddress;
    password: string;
    channels: number;
    telePeriodMs: number;
    meterW: (() => number) | undefined;
  };
  #client: MqttClient | undefined;
  #tele: NodeJS.Timeout | undefined;

  constructor(o: {
    address: DeviceBrokerAddress;
    topic: string;
    password: string;
    channels: number;
    telePeriodMs?: number;
    /** A metering plug: the power it measures (ENERGY.Power on tele/<topic>/SENSOR and STATUS 10). */
    meterW?: () => number;
  }) {
    this.topic = o.topic;
    this.relays = new Array<boolean>(o.channels).fill(false);
    this.#o = {
      address: o.address,
      password: o.password,
      channels: o.channels,
      telePeriodMs: o.telePeriodMs ?? 300_000,
      meterW: o.meterW,
    };
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  async start(): Promise<boolean> {
    const client = connectDevice(this.#o.address, {
      username: this.topic,
      password: this.#o.password,
      // Tasmota's default client id (DVES_xxxxxx) names no one: the broker takes <topic> or
      // <topic>_<suffix> (docs/mqtt.md).
      clientId: `${this.topic}_${process.pid}`,
      reconnectPeriod: 1000,
      will: { topic: `tele/${this.topic}/LWT`, payload: Buffer.from('Offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      client.publish(`tele/${this.topic}/LWT`, 'Online', { qos: 1, retain: true });
      client.subscribe(`cmnd/${this.topic}/#`, { qos: 0 });
      this.#report();
    });
    client.on('message', (topic, payload) => this.#onCommand(topic, payload.toString('utf8')));
    client.on('error', () => undefined);
    this.#tele = setInterval(() => this.#teleState(), this.#o.telePeriodMs);
    return connectedWithin(client, 5000);
  }

  /** Drop off the network without a goodbye: the broker publishes the last will. */
  async disconnect(): Promise<void> {
    clearInterval(this.#tele);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // Closing the socket without DISCONNECT is what a lost Wi-Fi link looks like to the broker.
    client.stream.destroy();
    await client.endAsync(true);
  }

  async stop(): Promise<void> {
    clearInterval(this.#tele);
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.endAsync();
  }

  /** Someone pressed the device's own button. */
  press(relay: number): void {
    this.relays[relay - 1] = !this.relays[relay - 1];
    this.#report(relay);
  }

  #key(relay: number): string {
    return this.#o.channels === 1 ? 'POWER' : `POWER${relay}`;
  }

  #onCommand(topic: string, payload: string): void {
    if (this.fault === 'deaf') return;
    const command = topic.slice(`cmnd/${this.topic}/`.length);
    this.commands.push(`${command} ${payload}`.trim());
    if (this.commands.length > 200) this.commands.shift();
    const power = /^POWER([1-8])?$/i.exec(command);
    if (power) {
      const relay = Number(power[1] ?? 1);
      if (relay > this.#o.channels) return;
      const p = payload.toUpperCase();
      if (p === 'ON' || p === '1') this.relays[relay - 1] = true;
      else if (p === 'OFF' || p === '0') this.relays[relay - 1] = false;
      else if (p === 'TOGGLE' || p === '2') this.relays[relay - 1] = !this.relays[relay - 1];
      this.#report(relay);
      return;
    }
    if (/^dimmer$/i.test(command)) {
      const n = Number(payload);
      if (payload !== '' && Number.isInteger(n) && n >= 0 && n <= 100) {
        this.dimmer = n;
        this.relays[0] = n > 0;
      }
      this.#publish(
        `stat/${this.topic}/RESULT`,
        JSON.stringify({ [this.#key(1)]: this.#said(0), Dimmer: this.dimmer }),
      );
      return;
    }
    if (/^irhvac$/i.test(command)) {
      try {
        this.irhvac = JSON.parse(payload) as Record<string, unknown>;
        this.#publish(`stat/${this.topic}/RESULT`, '{"IRHVAC":"Done"}');
      } catch {
        this.#publish(`stat/${this.topic}/RESULT`, '{"IRHVAC":"Invalid JSON"}');
      }
      return;
    }
    if (/^status$/i.test(command) && payload === '10' && this.#o.meterW) {
      this.#publish(`stat/${this.topic}/STATUS10`, JSON.stringify({ StatusSNS: this.#sensor() }));
      return;
    }
    if (/^state$/i.test(command)) this.#publish(`stat/${this.topic}/RESULT`, JSON.stringify(this.#state()));
  }

  /** The state as the device says it (the opposite with the wrong-state fault). */
  #said(i: number): 'ON' | 'OFF' {
    const on = this.relays[i] === true;
    return (this.fault === 'wrong-state' ? !on : on) ? 'ON' : 'OFF';
  }

  #state(): Record<string, unknown> {
    const s: Record<string, unknown> = { Time: new Date().toISOString().slice(0, 19), Uptime: '0T00:10:00' };
    this.relays.forEach((_, i) => (s[this.#key(i + 1)] = this.#said(i)));
    s.Dimmer = this.dimmer;
    return s;
  }

  #report(relay?: number): void {
    if (relay === undefined) {
      this.#publish(`stat/${this.topic}/RESULT`, JSON.stringify(this.#state()));
      return;
    }
    const key = this.#key(relay);
    this.#publish(`stat/${this.topic}/RESULT`, JSON.stringify({ [key]: this.#said(relay - 1) }));
    this.#publish(`stat/${this.topic}/${key}`, this.#said(relay - 1));
  }

  #teleState(): void {
    this.#publish(`tele/${this.topic}/STATE`, JSON.stringify(this.#state()));
    if (this.#o.meterW) this.#publish(`tele/${this.topic}/SENSOR`, JSON.stringify(this.#sensor()));
  }

  #sensor(): Record<string, unknown> {
    return { Time: new Date().toISOString().slice(0, 19), ENERGY: { Power: this.#o.meterW?.() ?? 0, Voltage: 220 } };
  }

  #publish(topic: string, payload: string): void {
    if (this.fault === 'silent') return;
    if (this.#client?.connected) this.#client.publish(topic, payload, { qos: 0 });
  }
}
