import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskMount } from '../../edge/api/kiosk-static.js';
import { Appliance } from '../../edge/runtime/appliance.js';
import { parseConfig } from '../../edge/config/load.js';
import type { Config } from '../../edge/config/schema.js';
import { createLogger } from '../../edge/log.js';
import { addDevice } from '../../edge/services/devices.js';
import type { DeviceKind } from '../../edge/store/repos/devices.js';
import { addUser } from '../../edge/services/accounts.js';
import { tempDir } from './env.js';

export interface TestAppliance {
  appliance: Appliance;
  config: Config;
  /** https://…(the TLS port) when started with a certificate, else the plain HTTP URL. */
  httpUrl: string;
  /** The plain MQTT URL (loopback). */
  mqttUrl: string;
  /** mqtts://… when started with a certificate. */
  mqttsUrl?: string;
  dataDir: string;
  logs: string[];
  stop(): Promise<void>;
}

/** A real appliance in this process: real SQLite in a temp dir, real broker and HTTP on random loopback ports. */
export async function startTestAppliance(
  yaml = '',
  extra: {
    keepDir?: string;
    httpPort?: number;
    tls?: { certFile: string; keyFile: string };
    httpHost?: string;
    http?: string;
    mqtt?: Record<string, number>;
  } = {},
): Promise<TestAppliance> {
  const dir = extra.keepDir ? { path: extra.keepDir, cleanup: () => undefined } : tempDir();
  // With a certificate: HTTPS and MQTT over TLS on their own (random) ports, as after provisioning.
  const tls = extra.tls
    ? `, tls: { enabled: true, port: 0, certFile: ${JSON.stringify(extra.tls.certFile)}, keyFile: ${JSON.stringify(extra.tls.keyFile)} }`
    : '';
  const mqttTls = extra.tls ? ', tls: { enabled: true, port: 0 }' : '';
  const mqttExtra = Object.entries(extra.mqtt ?? {})
    .map(([k, v]) => `, ${k}: ${v}`)
    .join('');
  const text = `dataDir: ${JSON.stringify(dir.path)}\nhttp: { host: ${extra.httpHost ?? '127.0.0.1'}, port: ${extra.httpPort ?? 0}${tls}${extra.http ? `, ${extra.http}` : ''} }\nmqtt: { host: 127.0.0.1, port: 0${mqttTls}${mqttExtra} }\nlog: { level: warn }\n${yaml}`;
  const file = join(dir.path, 'config.yaml');
  writeFileSync(file, text);
  const config = parseConfig(text, file);
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const appliance = new Appliance({ config, log, configSource: { file, overrides: {} }, mounts: [kioskMount()] });
  await appliance.start();
  return {
    appliance,
    config,
    httpUrl: extra.tls ? `https://127.0.0.1:${appliance.http.tlsPort}` : `http://127.0.0.1:${appliance.http.port}`,
    mqttUrl: `mqtt://127.0.0.1:${appliance.broker.port}`,
    ...(extra.tls ? { mqttsUrl: `mqtts://127.0.0.1:${appliance.broker.tlsPort}` } : {}),
    dataDir: dir.path,
    logs,
    stop: async () => {
      await appliance.stop();
      dir.cleanup();
    },
  };
}

/**
 * The appliance's readings table once everything journaled is in it: readings reach SQLite in batches
 * (store.applyIntervalMs), so a test that reads the table directly applies first, as the API does.
 */
export function storedReadings(t: TestAppliance): TestAppliance['appliance']['store']['readings'] {
  t.appliance.readings.apply();
  return t.appliance.store.readings;
}

export const ADMIN = { username: 'it-admin', password: 'Str0ng-Passw0rd!' };
export const TEACHER = { username: 'li', pin: '482916' };

export async function seedAccounts(t: TestAppliance): Promise<void> {
  await addUser(
    t.appliance.store,
    t.config,
    { username: ADMIN.username, role: 'admin', secret: ADMIN.password },
    'test',
  );
  await addUser(
    t.appliance.store,
    t.config,
    { username: TEACHER.username, displayName: '李老师', role: 'teacher', secret: TEACHER.pin },
    'test',
  );
}

export async function seedDevice(
  t: TestAppliance,
  id: string,
  kind: DeviceKind = 'sensor',
): Promise<{ username: string; password: string }> {
  const c = await addDevice(t.appliance.store, { id, kind }, 'test');
  return { username: c.mqtt.username, password: c.mqtt.password };
}
