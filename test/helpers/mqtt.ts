import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';

/**
 * Connect and resolve once connected; reject with the broker's refusal. No reconnects in tests.
 * A login gets a client id of its own (`<username>_<random>`, docs/mqtt.md) unless one is given.
 */
export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const clientId = opts.clientId ?? (opts.username ? `${opts.username}_${randomBytes(4).toString('hex')}` : undefined);
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...opts,
      ...(clientId !== undefined ? { clientId } : {}),
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/** Resolves when the client's connection closes (e.g. the broker dropped it). */
export function closed(c: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!c.connected) return resolve();
    c.once('close', () => resolve());
  });
}
