import type { MqttClient } from 'mqtt';

/**
 * Whether a simulator's MQTT client connects within `ms`. A broker that does not answer leaves the
 * simulator degraded, not its start hung.
 */
export function connectedWithin(client: MqttClient, ms: number): Promise<boolean> {
  if (client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
