import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Value } from '@sinclair/typebox/value';
import { StoreSchema, type Config } from '../../edge/config/schema.js';
import { Store } from '../../edge/store/store.js';
import { parseConfig } from '../../edge/config/load.js';
import { addDevice } from '../../edge/services/devices.js';
import { addUser } from '../../edge/services/accounts.js';
import { spawnAppliance, healthy, type ChildAppliance } from '../helpers/child.js';
import { ApiClient } from '../helpers/api-client.js';
import { rosterCsv, withConsent } from '../helpers/roster.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { withDbFile } from '../helpers/sqlite.js';
import { qos1Burst } from '../helpers/mqtt.js';

const BASE_TS = Date.parse('2026-11-01T00:00:00Z');
const STORE_OPTS = Value.Default(StoreSchema, {}) as Config['store'];
const ADMIN = { username: 'it-admin', password: 'Str0ng-Passw0rd!' };
const TEACHER = { username: 'li', pin: '482916' };
const FS = join(ROOT, 'test', 'fixtures', 'power_cut_fs.py');

interface PowerCutDisk {
  /** What the disk keeps: where the appliance starts again after the cut. */
  backing: string;
  /** The disk the appliance runs on until the cut. */
  mountpoint: string;
  child: ChildProcess;
  lines: string[];
  /** Unmounts (once; later calls do nothing). */
  unmount(): void;
  /** Unmounts if still mounted, ends the file system's process, removes both directories. */
  close(): Promise<void>;
}

/** test/fixtures/power_cut_fs.py over a fresh backing directory, mounted on another; its stdout lines as they come. */
async function powerCutDisk(): Promise<PowerCutDisk> {
  const backing = tempDir('classedge-cut-disk-');
  const mnt = tempDir('classedge-cut-mnt-');
  const child = spawn('/usr/bin/python3', [FS, backing.path, mnt.path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  let mounted = true;
  const unmount = (): void => {
    if (!mounted) return;
    mounted = false;
    execFileSync('fusermount3', ['-u', '-z', mnt.path]);
  };
  const close = async (): Promise<void> => {
    try {
      unmount();
    } catch {
      /* not mounted any more */
    }
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    mnt.cleanup();
    backing.cleanup();
  };
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`power_cut_fs exited ${child.exitCode}: ${err}`);
        return lines.includes('ready') || undefined;
      },
      'the power-cut file system mounted',
      20_000,
      50,
    );
  } catch (e) {
    await close();
    throw e;
  }
  return { backing: backing.path, mountpoint: mnt.path, child, lines, unmount, close };
}

/**
 * The power cut: the machine stops at once (SIGSTOP: nothing more reaches the disk or the network),
 * the disk keeps only what was fsync'ed, then the process is gone. Returns what the cut undid.
 */
async function cutPower(fs: PowerCutDisk, app: ChildAppliance): Promise<{ files: number; bytes: number }> {
  const pid = app.child.pid as number;
  process.kill(pid, 'SIGSTOP');
  fs.child.kill('SIGUSR1');
  // fuse-python runs the handler at its next request: any request will do (it fails: the power is off).
  const line = await waitFor(
    () => {
      try {
        statSync(join(fs.mountpoint, 'classedge.db'));
      } catch {
        /* EIO once cut */
      }
      return fs.lines.find((l) => l.startsWith('cut ')) ?? undefined;
    },
    'the power cut',
    10_000,
    50,
  );
  process.kill(pid, 'SIGKILL');
  await app.exited;
  const [, files, bytes] = line.split(' ');
  return { files: Number(files), bytes: Number(bytes) };
}

test(
  'power cut mid-burst: every QoS 1 reading acknowledged and every health check answered 201 is there after the cut; what was written without an fsync is gone',
  { timeout: 240_000 },
  async () => {
    const fs = await powerCutDisk();
    let app: ChildAppliance | undefined;
    let again: ChildAppliance | undefined;
    const clients: mqtt.MqttClient[] = [];
    try {
      // The data directory on the disk that can lose power: seeded, then the appliance started on it.
      const dataDir = fs.mountpoint;
      const config = parseConfig(`dataDir: ${JSON.stringify(dataDir)}\n`, join(dataDir, 'config.yaml'));
      const seed = Store.open(config);
      let creds;
      try {
        creds = await addDevice(seed, { id: 'co2-cut', kind: 'sensor' }, 'test');
        await addUser(seed, config, { username: ADMIN.username, role: 'admin', secret: ADMIN.password }, 'test');
        await addUser(
          seed,
          config,
          { username: TEACHER.username, displayName: '李老师', role: 'teacher', secret: TEACHER.pin },
          'test',
        );
      } finally {
        seed.close();
      }
      app = await spawnAppliance(dataDir);
      await healthy(app, 120_000);
      const url = `http://127.0.0.1:${app.httpPort}`;
      const admin = new ApiClient(url);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const roster = await admin.post('/api/v1/health/roster', {
        csvBase64: Buffer.from(withConsent(rosterCsv(40))).toString('base64'),
      });
      assert.equal(roster.status, 200, JSON.stringify(roster.body));
      const teacher = new ApiClient(url);
      await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
      const students = ((await teacher.get('/api/v1/health/day')).body as { studentId: number }[]).map(
        (x) => x.studentId,
      );

      // QoS 1 readings from four clients with windows in flight, and health checks one after another.
      let stop = false;
      for (let i = 0; i < 4; i++)
        clients.push(
          mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
            username: creds.mqtt.username,
            password: creds.mqtt.password,
            clientId: `${creds.mqtt.username}_${i}`,
            reconnectPeriod: 0,
          }),
        );
      await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));
      const { sent, acked, stop: stopBurst } = qos1Burst(clients, 'co2-cut', BASE_TS, 20);
      const checks: number[] = [];
      const checking = (async () => {
        for (const studentId of students) {
          if (stop) return;
          const r = await teacher.post('/api/v1/health/checks', {
            studentId,
            tempRawC: 36.4,
            ambientC: 21.5,
            symptoms: [],
          });
          if (r.status === 201) checks.push(r.body.id as number);
        }
      })().catch(() => undefined);
      await waitFor(() => (acked.size >= 2000 && checks.length >= 10) || undefined, 'readings and checks', 90_000);

      // The cut: the machine stops at once (SIGSTOP), the disk keeps only what was fsync'ed, then the
      // process is gone. Whatever a client was told before the stop was promised.
      stop = true;
      stopBurst();
      const cut = await cutPower(fs, app);
      app = undefined;
      for (const c of clients) c.end(true);
      await checking;
      fs.unmount();
      // The cut must have taken something away, or this test proves nothing about fsync.
      assert.ok(cut.files >= 1, `the cut undid writes in ${cut.files} files (${cut.bytes} bytes restored)`);
      assert.ok(sent.size > acked.size, 'the cut landed while readings were still in flight');

      // Power back: the appliance starts on what the disk kept, and every promise holds.
      again = await spawnAppliance(fs.backing);
      await healthy(again, 120_000);
      again.child.kill('SIGTERM');
      await again.exited;
      again = undefined;
      Store.open({ dataDir: fs.backing, store: STORE_OPTS }).close();
      withDbFile(fs.backing, (db) => {
        const stored = new Set(
          db
            .prepare<[], { ts: number }>("SELECT ts FROM readings WHERE device_id = 'co2-cut'")
            .all()
            .map((r) => r.ts),
        );
        const missing = [...acked].filter((ts) => !stored.has(ts));
        assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.size} acknowledged readings lost`);
        assert.ok(
          [...stored].every((ts) => sent.has(ts)),
          'nothing stored that was not sent',
        );
        const dupes = db
          .prepare<[], { n: number }>(
            "SELECT count(*) - count(DISTINCT ts) AS n FROM readings WHERE device_id = 'co2-cut'",
          )
          .get()?.n;
        assert.equal(dupes, 0);
        const kept = new Set(
          db
            .prepare<[], { id: number }>('SELECT id FROM health_checks')
            .all()
            .map((r) => r.id),
        );
        const lostChecks = checks.filter((id) => !kept.has(id));
        assert.deepEqual(lostChecks, [], `${lostChecks.length} of ${checks.length} answered health checks lost`);
      });
    } finally {
      for (const c of clients) c.end(true);
      for (const a of [app, again]) {
        if (a && a.child.exitCode === null) {
          a.child.kill('SIGKILL');
          await a.exited;
        }
      }
      await fs.close();
    }
  },
);

test(
  'power cut with readings nobody acknowledges (QoS 0, as a Modbus poll): only the last store.polledSyncMaxMs can be lost',
  { timeout: 120_000 },
  async () => {
    const conf = tempDir('classedge-cut-conf-');
    const fs = await powerCutDisk();
    const POLLED_SYNC_MS = 2000;
    let app: ChildAppliance | undefined;
    let again: ChildAppliance | undefined;
    let client: mqtt.MqttClient | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const configFile = join(conf.path, 'config.yaml');
      writeFileSync(configFile, `store: { polledSyncMaxMs: ${POLLED_SYNC_MS} }\n`);
      const config = parseConfig(`dataDir: ${JSON.stringify(fs.mountpoint)}\n`, configFile);
      const seed = Store.open(config);
      let creds;
      try {
        creds = await addDevice(seed, { id: 'co2-polled', kind: 'sensor' }, 'test');
      } finally {
        seed.close();
      }
      app = await spawnAppliance(fs.mountpoint, ['-c', configFile]);
      await healthy(app, 120_000);
      client = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
        username: creds.mqtt.username,
        password: creds.mqtt.password,
        clientId: creds.mqtt.username,
        reconnectPeriod: 0,
      });
      const c = client;
      await new Promise((r) => c.once('connect', r));
      // A reading every 50 ms at QoS 0: nothing is acknowledged, so only the sync bound applies.
      const sentAt = new Map<number, number>();
      let ts = BASE_TS;
      timer = setInterval(() => {
        ts++;
        sentAt.set(ts, performance.now());
        c.publish('classedge/dev/co2-polled/reading', JSON.stringify({ ts, metrics: { co2_ppm: 450 } }), { qos: 0 });
      }, 50);
      await new Promise((r) => setTimeout(r, 4 * POLLED_SYNC_MS));
      clearInterval(timer);
      const cutAt = performance.now();
      const cut = await cutPower(fs, app);
      app = undefined;
      c.end(true);
      fs.unmount();
      assert.ok(cut.files >= 1, `the cut undid writes in ${cut.files} files`);

      again = await spawnAppliance(fs.backing, ['-c', configFile]);
      await healthy(again, 120_000);
      again.child.kill('SIGTERM');
      await again.exited;
      again = undefined;
      const stored = new Set<number>();
      withDbFile(fs.backing, (db) => {
        for (const r of db.prepare<[], { ts: number }>("SELECT ts FROM readings WHERE device_id = 'co2-polled'").all())
          stored.add(r.ts);
      });
      // Older than the bound (and a second for the broker and the loaded machine): must have survived.
      const promised = [...sentAt].filter(([, at]) => cutAt - at > POLLED_SYNC_MS + 1000).map(([t]) => t);
      const lost = promised.filter((t) => !stored.has(t));
      assert.ok(promised.length > 50, `${promised.length} readings older than the bound`);
      assert.deepEqual(
        lost.slice(0, 10),
        [],
        `${lost.length} of ${promised.length} readings older than the bound lost`,
      );
    } finally {
      clearInterval(timer);
      client?.end(true);
      for (const a of [app, again]) {
        if (a && a.child.exitCode === null) {
          a.child.kill('SIGKILL');
          await a.exited;
        }
      }
      await fs.close();
      conf.cleanup();
    }
  },
);
