import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskMount } from '../../edge/api/kiosk-static.js';
import { Appliance } from '../../edge/runtime/appliance.js';
import { parseConfig } from '../../edge/config/load.js';
import type { Config } from '../../edge/config/schema.js';
import { createLogger } from '../../edge/log.js';
import { addDevice } from '../../edge/services/devices.js';
import { addUser } from '../../edge/services/accounts.js';
import { tempDir } from './env.js';

export interface TestAppliance {
  appliance: Appliance;
  config: Config;
  httpUrl: string;
  mqttUrl: string;
  dataDir: string;
  logs: string[];
  stop(): Promise<void>;
}

/** A real appliance in this process: real SQLite in a temp dir, real broker and HTTP on random loopback ports. */
export async function startTestAppliance(yaml = '', extra: { keepDir?: string; httpPort?: number; httpHost?: string; tls?: { certFile: string; keyFile: string } } = {}): Promise<TestAppliance> {
  const dir = extra.keepDir ? { path: extra.keepDir, cleanup: () => undefined } : tempDir();
  const tls = extra.tls ? `, tls: { enabled: true, certFile: ${JSON.stringify(extra.tls.certFile)}, keyFile: ${JSON.stringify(extra.tls.keyFile)} }` : '';
  const text = `dataDir: ${JSON.stringify(dir.path)}\nhttp: { host: ${extra.httpHost ?? '127.0.0.1'}, port: ${extra.httpPort ?? 0}${tls} }\nmqtt: { host: 127.0.0.1, port: 0 }\nlog: { level: warn }\n${yaml}`;
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
    httpUrl: `${extra.tls ? 'https' : 'http'}://127.0.0.1:${appliance.http.port}`,
    mqttUrl: `mqtt://127.0.0.1:${appliance.broker.port}`,
    dataDir: dir.path,
    logs,
    stop: async () => {
      await appliance.stop();
      dir.cleanup();
    },
  };
}

export const ADMIN = { username: 'it-admin', password: 'Str0ng-Passw0rd!' };
export const TEACHER = { username: 'li', pin: '482916' };

export async function seedAccounts(t: TestAppliance): Promise<void> {
  await addUser(t.appliance.store, t.config, { username: ADMIN.username, role: 'admin', secret: ADMIN.password }, 'test');
  await addUser(t.appliance.store, t.config, { username: TEACHER.username, displayName: '李老师', role: 'teacher', secret: TEACHER.pin }, 'test');
}

export async function seedDevice(t: TestAppliance, id: string): Promise<{ username: string; password: string }> {
  const c = await addDevice(t.appliance.store, { id, kind: 'sensor' }, 'test');
  return { username: c.mqtt.username, password: c.mqtt.password };
}
