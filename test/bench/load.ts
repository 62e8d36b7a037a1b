import mqtt, { type MqttClient } from 'mqtt';

export interface LoadResult {
  acked: number;
  seconds: number;
  perSecond: number;
}

/**
 * N device clients publishing QoS 1 readings as fast as their PUBACKs allow, each with a window
 * of messages in flight (a gateway's behaviour). Counts PUBACKs inside the measuring window only.
 */
export async function qos1Load(o: {
  url: string;
  clients: { username?: string; password?: string; topic: string }[];
  window: number;
  warmupMs: number;
  measureMs: number;
}): Promise<LoadResult> {
  const conns: MqttClient[] = await Promise.all(
    o.clients.map(
      (c, i) =>
        new Promise<MqttClient>((resolve, reject) => {
          const client = mqtt.connect(o.url, {
            username: c.username,
            password: c.password,
            clientId: c.username ? `${c.username}_load${i}` : `load-${i}`,
            reconnectPeriod: 0,
          });
          client.once('connect', () => resolve(client));
          client.once('error', reject);
        }),
    ),
  );
  let counting = false;
  let stopped = false;
  let acked = 0;
  let seq = 0;
  const pump = (client: MqttClient, topic: string): void => {
    if (stopped) return;
    const payload = `{"metrics":{"co2_ppm":${400 + (seq++ % 1000)}}}`;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (!err && counting) acked++;
      pump(client, topic);
    });
  };
  conns.forEach((c, i) => {
    for (let w = 0; w < o.window; w++) pump(c, o.clients[i]?.topic ?? '');
  });
  await new Promise((r) => setTimeout(r, o.warmupMs));
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, o.measureMs));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  stopped = true;
  await Promise.all(conns.map((c) => c.endAsync(true)));
  return { acked, seconds, perSecond: acked / seconds };
}
