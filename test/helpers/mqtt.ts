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

/**
 * A busy sensor gateway: each client keeps `window` QoS 1 readings of `deviceId` in flight, each with a
 * new timestamp from `baseTs`, until `stop()`. `sent` and `acked` hold the timestamps.
 */
export function qos1Burst(
  clients: MqttClient[],
  deviceId: string,
  baseTs: number,
  window: number,
): { sent: Set<number>; acked: Set<number>; stop(): void } {
  const sent = new Set<number>();
  const acked = new Set<number>();
  let seq = 0;
  let stopped = false;
  const pump = (c: MqttClient): void => {
    if (stopped || !c.connected) return;
    const ts = baseTs + seq++;
    sent.add(ts);
    c.publish(
      `classedge/dev/${deviceId}/reading`,
      JSON.stringify({ ts, metrics: { co2_ppm: 400 + (ts % 1000) } }),
      { qos: 1 },
      (err) => {
        if (!err) acked.add(ts);
        pump(c);
      },
    );
  };
  for (const c of clients) for (let w = 0; w < window; w++) pump(c);
  return { sent, acked, stop: () => (stopped = true) };
}
