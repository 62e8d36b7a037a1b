import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { CLI, ROOT, freePort, waitFor } from './env.js';
import { run } from './run.js';
import { newKeyPair, privateKeyFrom } from '../../edge/security/signing.js';
import { writeEnrolment } from '../../edge/sync/keys.js';
import { makeBundle, type BundleOptions } from '../../edge/update/bundle.js';
import { startTestAppliance } from './appliance.js';

/**
 * Versions as install trees. A good one runs the real ClassEdge (and notes which version serves);
 * the bad one migrates the database forward, then answers its health check with 503 forever.
 */
export function goodTree(dir: string, version: string, marker: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'classedge', version }));
  writeFileSync(
    join(dir, 'bin', 'classedge.js'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, ${JSON.stringify(version)});\nawait import(${JSON.stringify(join(ROOT, 'bin', 'classedge.js'))});\n`,
  );
}
export function badTree(dir: string, version: string, marker: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'classedge', version }));
  writeFileSync(
    join(dir, 'bin', 'classedge.js'),
    `import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import Database from ${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3', 'lib', 'index.js'))};
writeFileSync(${JSON.stringify(marker)}, ${JSON.stringify(version)});
const db = new Database(process.env.CLASSEDGE_DATA_DIR + '/classedge.db');
db.pragma('user_version = 99');
db.close();
createServer((_q, r) => { r.statusCode = 503; r.end('{"status":"failed"}'); }).listen(Number(process.env.CLASSEDGE_HTTP_PORT), '127.0.0.1');
`,
  );
}

export interface Bench {
  dir: string;
  root: string;
  data: string;
  marker: string;
  /** The bench's own stop command (a test may wrap it). */
  stopCommand: string;
  args: (extra: string[], timeoutS?: number, over?: { stop?: string; root?: string; data?: string }) => string[];
  health: () => Promise<number>;
  served: () => string;
  stop: () => Promise<void>;
  bundle: (version: string, tree: 'good' | 'bad', o?: Omit<BundleOptions, 'version'>, padBytes?: number) => string;
}

export interface BenchOptions {
  /** The appliance id (default room-601). */
  applianceId?: string;
  /** More configuration (YAML lines) for the appliance. */
  yaml?: string;
  /**
   * Enrol the data directory with a real district (test/helpers/district.ts enrolDataDir) and give
   * the key that signs its bundles; by default a made-up district that is never reached.
   */
  enrol?: (data: string, applianceId: string) => Promise<KeyObject>;
  /** Set update.installCommand to `classedge update --fleet` of this bench, with this health timeout (s). */
  fleetTimeoutS?: number;
}

/** `sh -c` quoting of one word. */
const quote = (w: string): string => `'${w.replaceAll("'", "'\\''")}'`;

/**
 * One appliance as installed on a box: versions/ and the current symlink under `<dir>/opt`, data in
 * `<dir>/data`, run as a background process by start and stop commands like systemd's.
 */
export async function bench(dir: string, bo: BenchOptions = {}): Promise<Bench> {
  const applianceId = bo.applianceId ?? 'room-601';
  const root = join(dir, 'opt');
  const data = join(dir, 'data');
  const marker = join(dir, 'served-by');
  const pid = join(dir, 'pid');
  const http = await freePort();
  const mqtt = await freePort();
  // The service manager of this bench: a pid file and a background process, like systemd's start/stop.
  const env = `CLASSEDGE_DATA_DIR=${data} CLASSEDGE_HTTP_PORT=${http} CLASSEDGE_MQTT_PORT=${mqtt}`;
  // Like systemctl start, a no-op while the service runs (the recovery of an update that never
  // stopped the old version starts it "again"; a second instance would have outlived the test).
  const start = `if [ -f ${pid} ] && kill -0 "$(cat ${pid})" 2>/dev/null; then exit 0; fi; ${env} nohup ${process.execPath} ${root}/current/bin/classedge.js start --log-level warn >> ${dir}/app.log 2>&1 & echo $! > ${pid}`;
  const stop = `if [ -f ${pid} ]; then p=$(cat ${pid}); kill $p 2>/dev/null; while kill -0 $p 2>/dev/null; do sleep 0.1; done; rm -f ${pid}; fi`;
  mkdirSync(join(root, 'versions'), { recursive: true });
  mkdirSync(data, { recursive: true });
  goodTree(join(root, 'versions', '1.0.0'), '1.0.0', marker);
  symlinkSync(join('versions', '1.0.0'), join(root, 'current'));
  // An enrolled appliance with data; the district's key is what signs its updates.
  const fleetArgs = (timeoutS: number): string =>
    [process.execPath, CLI, 'update', '--fleet', '--root', root, '--data-dir', data, '--http-port', String(http)]
      .concat(['--stop-command', stop, '--start-command', start, '--timeout', String(timeoutS)])
      .map(quote)
      .join(' ');
  const yaml = [
    `appliance: { id: ${applianceId} }`,
    bo.yaml ?? '',
    bo.fleetTimeoutS ? `update: { installCommand: ${JSON.stringify(fleetArgs(bo.fleetTimeoutS))} }` : '',
  ].join('\n');
  const t = await startTestAppliance(yaml, { keepDir: data });
  t.appliance.store.readings.insertMany(
    Array.from({ length: 100 }, (_, i) => ({
      deviceId: 'co2-a',
      metric: 'co2_ppm',
      value: 400 + i,
      ts: Date.parse('2026-11-20T00:00:00Z') + i,
      receivedAt: 0,
    })),
  );
  await t.appliance.stop();
  let signer: KeyObject;
  if (bo.enrol) signer = await bo.enrol(data, applianceId);
  else {
    const district = newKeyPair();
    writeEnrolment(data, {
      districtUrl: 'http://127.0.0.1:1',
      applianceId,
      districtPublicKeyPem: district.publicKeyPem,
      enrolledAt: Date.now(),
    });
    signer = privateKeyFrom(district.privateKeyPem);
  }
  const sh = (cmd: string): Promise<unknown> => run('sh', ['-c', cmd]);
  await sh(start);
  const health = async (): Promise<number> => {
    try {
      return (await fetch(`http://127.0.0.1:${http}/api/v1/health`)).status;
    } catch {
      return 0;
    }
  };
  await waitFor(async () => ((await health()) === 200 ? true : undefined), 'version 1.0.0 up', 20_000, 100);
  let made = 0;
  return {
    dir,
    root,
    data,
    marker,
    stopCommand: stop,
    args: (extra, timeoutS = 30, over = {}) => [
      CLI,
      'update',
      ...extra,
      '--root',
      over.root ?? root,
      '--data-dir',
      over.data ?? data,
      '--http-port',
      String(http),
      '--stop-command',
      over.stop ?? stop,
      '--start-command',
      start,
      '--timeout',
      String(timeoutS),
    ],
    health,
    served: () => readFileSync(marker, 'utf8'),
    stop: async () => void (await sh(stop)),
    bundle: (version, tree, o = {}, padBytes = 0) => {
      const src = join(dir, 'build', version);
      (tree === 'good' ? goodTree : badTree)(src, version, marker);
      // Incompressible filler: a bundle big enough for a download to be cut half-way.
      if (padBytes > 0) writeFileSync(join(src, 'pad.bin'), randomBytes(padBytes));
      const out = join(dir, `classedge-${version}-${String(++made)}.update`);
      makeBundle(src, { version, ...o }, signer, out);
      return out;
    },
  };
}
