import mqtt, { type MqttClient } from 'mqtt';
import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Logger } from '../log.js';
import type { LiveEventName, LiveEvents } from '../messages.js';
import { topics } from './topics.js';
import { SERVICE_USERNAME } from './broker.js';

/** Live events published on MQTT. Readings are not re-published: devices' own topics carry them. */
const BRIDGED: readonly LiveEventName[] = ['component.state', 'device.connection', 'ingest.rejected', 'env.alert'];

/**
 * The appliance's own MQTT identity: it announces `online` on a retained availability topic with
 * an `offline` last-will (as zigbee2mqtt and Frigate do), and bridges live events to MQTT so that
 * tools such as Home Assistant or Node-RED can follow the appliance.
 */
export class ServiceClient extends BaseComponent {
  readonly name = 'mqtt-service';
  readonly kind = 'mqtt-service-client';
  readonly #o: { url: () => string; secret: string; bus: TypedEmitter<LiveEvents>; log: Logger };
  #client: MqttClient | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(o: { url: () => string; secret: string; bus: TypedEmitter<LiveEvents>; log: Logger }) {
    super();
    this.#o = o;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.setState('starting');
    const client = mqtt.connect(this.#o.url(), {
      username: SERVICE_USERNAME,
      password: this.#o.secret,
      clientId: `${SERVICE_USERNAME}_${process.pid}`,
      reconnectPeriod: 1000,
      will: { topic: topics.availability(), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      client.publish(topics.availability(), 'online', { qos: 1, retain: true });
      this.setState('running');
    });
    client.on('offline', () => this.setState('degraded', 'not connected to the broker'));
    client.on('error', (err) => this.#o.log.warn({ err: err.message }, 'service MQTT client error'));
    for (const name of BRIDGED) {
      this.#unsubscribe.push(
        this.#o.bus.on(name, (data) => {
          if (client.connected) client.publish(topics.event(name), JSON.stringify(data), { qos: 0 });
        }),
      );
    }
    // The client keeps retrying a broker that does not answer; a shutdown meanwhile ends the wait.
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (fn: () => void): void => {
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      client.once('connect', () => settle(resolve));
      client.once('error', (err) => settle(() => reject(err)));
    });
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      if (client.connected)
        await client.publishAsync(topics.availability(), 'offline', { qos: 1, retain: true }).catch(() => undefined);
      await client.endAsync();
    }
    this.setState('stopped');
  }
}
