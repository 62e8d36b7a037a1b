import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { PeerCertificate } from 'node:tls';
import type { DeviceBrokerAddress } from '../../edge/runtime/context.js';

/**
 * TLS options that trust exactly one certificate, the appliance's: its PEM as the only CA, and its
 * SHA-256 fingerprint checked on every handshake (what a pinned ESP32 device does). The host name
 * is not checked: the pin is stronger, and a device may dial the box by any address.
 */
export function pinnedTlsOptions(tls: { ca: Buffer; fingerprint256: string }): IClientOptions {
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined =>
    cert.fingerprint256 === tls.fingerprint256
      ? undefined
      : new Error(`broker certificate ${cert.fingerprint256} is not the pinned ${tls.fingerprint256}`);
  return { ca: tls.ca, rejectUnauthorized: true, ...({ checkServerIdentity } as object) };
}

/** A simulated device's MQTT connection, over TLS with the appliance's certificate pinned when the broker offers it. */
export function connectDevice(address: DeviceBrokerAddress, options: IClientOptions): MqttClient {
  return mqtt.connect(address.url, { ...options, ...(address.tls ? pinnedTlsOptions(address.tls) : {}) });
}
