import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { spawnAppliance, healthy, type ChildAppliance } from '../helpers/child.js';
import { connect } from '../helpers/mqtt.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { addDevice } from '../../edge/services/devices.js';

const MB = 1024 * 1024;
const DAY = 86_400_000;
const CONFIRMED = 20_000;
const UNSYNCED = 5_000;

const yaml = (dataDir: string): string =>
  `dataDir: ${JSON.stringify(dataDir)}
disk: { checkSeconds: 1, lowFreeMb: 6, lowFreePercent: 0, criticalFreeMb: 1, criticalFreePercent: 0, shedBatchRows: 1000 }
store: { journalSegmentKb: 256, groupCommitMaxDelayMs: 0, applyIntervalMs: 1000 }
`;

/**
 * A box after weeks in a classroom: minute rollups from a month ago, raw readings of ten days ago of
 * which the district confirmed the first CONFIRMED, and a diagnostic capture a technician never collected.
 */
async function seed(dataDir: string, configFile: string): Promise<{ username: string; password: string }> {
  const config = parseConfig(yaml(dataDir), configFile);
  const store = Store.open(config);
  try {
    const creds = await addDevice(store, { id: 'co2-1', kind: 'sensor' }, 'test');
    const now = Date.now();
    const oldMinute = Math.floor((now - 30 * DAY) / 60_000);
    store.rollups.add(
      Array.from({ length: 3000 }, (_, i) => ({
        deviceId: 'co2-1',
        metric: 'co2_ppm',
        minute: oldMinute + i,
        b: { n: 30, sum: 12_000, min: 390, max: 410 },
      })),
      now,
    );
    const t0 = now - 10 * DAY;
    for (let b = 0; b < (CONFIRMED + UNSYNCED) / 5000; b++)
      store.readings.insertMany(
        Array.from({ length: 5000 }, (_, i) => ({
          deviceId: 'co2-1',
          metric: 'co2_ppm',
          value: 400 + (i % 50),
          ts: t0 + (b * 5000 + i) * 2000,
          receivedAt: t0 + (b * 5000 + i) * 2000,
        })),
      );
    store.meta.set('enrolled', 'https://district.invalid');
    store.outbox.confirm('readings', CONFIRMED);
    const capture = join(dataDir, 'diagnostic', '2026-11-01T08-00-00-000Z');
    mkdirSync(capture, { recursive: true });
    writeFileSync(join(capture, 'frames.bin'), Buffer.alloc(2 * MB, 7));
    writeFileSync(join(capture, 'ended'), String(now - 20 * DAY));
    return { username: creds.mqtt.username, password: creds.mqtt.password };
  } finally {
    store.close();
  }
}

/** Write a ballast file until the file system has `leaveBytes` free (0: until it refuses). */
function fill(dir: string, name: string, leaveBytes: number): void {
  const fd = openSync(join(dir, name), 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      const s = statfsSync(dir);
      const free = s.bavail * s.bsize;
      if (free <= leaveBytes) return;
      const n = Math.min(chunk.length, Math.max(free - leaveBytes, 4096));
      try {
        writeSync(fd, chunk, 0, n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

interface Shed {
  id: number;
  target: string;
  detail: string;
}

function readDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'classedge.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

async function kiosk(app: ChildAppliance): Promise<{ level: string; freeMb: number; unsyncedReadings: number }> {
  const r = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/kiosk`);
  return ((await r.json()) as { storage: { level: string; freeMb: number; unsyncedReadings: number } }).storage;
}

/** Publish one reading at QoS 1; resolves true when acknowledged, false when the broker closed instead. */
function publish(c: MqttClient, ts: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => resolve(false);
    c.once('close', onClose);
    c.publish('classedge/dev/co2-1/reading', JSON.stringify({ ts, metrics: { co2_ppm: 450 } }), { qos: 1 }, (err) => {
      c.off('close', onClose);
      resolve(!err);
    });
  });
}

test(
  'a nearly full disk: captures, old rollups, then confirmed readings go, in that order and audited; unsynced readings and audit records stay; a full disk refuses readings without a crash',
  { timeout: 240_000 },
  async () => {
    const mnt = tempDir('classedge-disk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt.path]);
    let app: ChildAppliance | undefined;
    let client: MqttClient | undefined;
    try {
      const dataDir = join(mnt.path, 'data');
      const configFile = join(mnt.path, 'config.yaml');
      mkdirSync(dataDir);
      writeFileSync(configFile, yaml(dataDir));
      const creds = await seed(dataDir, configFile);
      const auditBefore = readDb(
        dataDir,
        (db) => (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n,
      );
      // Low, not critical: the guard has room to work in (after the readings journal's two 256 KB segments,
      // written in full at start).
      fill(mnt.path, 'ballast-1', 3 * MB + 512 * 1024);

      app = await spawnAppliance(dataDir, ['-c', configFile]);
      await healthy(app, 120_000);
      const running = app;
      await waitFor(
        () =>
          readDb(dataDir, (db) => (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n) <=
            UNSYNCED || undefined,
        'the confirmed readings shed',
        60_000,
        250,
      );
      assert.equal(
        existsSync(join(dataDir, 'diagnostic', '2026-11-01T08-00-00-000Z')),
        false,
        'the capture went first',
      );
      const { shed, rollups, left, auditAfter } = readDb(dataDir, (db) => ({
        shed: db
          .prepare("SELECT id, target, detail FROM audit_log WHERE action = 'disk.shed' ORDER BY id")
          .all() as Shed[],
        rollups: (db.prepare('SELECT count(*) AS n FROM readings_1m').get() as { n: number }).n,
        left: db.prepare('SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM readings').get() as {
          lo: number;
          hi: number;
          n: number;
        },
        auditAfter: (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n,
      }));
      assert.equal(rollups, 0, 'rollups older than disk.shedRollupsOlderThanDays are gone');
      // Only what the district confirmed: every unsynced reading is still there, numbered as before.
      assert.deepEqual(left, { lo: CONFIRMED + 1, hi: CONFIRMED + UNSYNCED, n: UNSYNCED });
      const first = (cls: string): number => shed.find((s) => s.target === cls)?.id ?? Infinity;
      assert.ok(first('diagnostic-captures') < first('readings-1m'), JSON.stringify(shed.map((s) => s.target)));
      assert.ok(first('readings-1m') < first('readings'), JSON.stringify(shed.map((s) => s.target)));
      const rows = (cls: string): number =>
        shed
          .filter((s) => s.target === cls)
          .reduce((a, s) => a + Number((JSON.parse(s.detail) as { rows?: number }).rows ?? 0), 0);
      assert.equal(rows('readings-1m'), 3000, 'every deleted rollup is counted in the audit log');
      assert.equal(rows('readings'), CONFIRMED, 'every deleted reading is counted in the audit log');
      assert.ok(auditAfter > auditBefore, 'no audit record was deleted for space');

      // What was deleted made room: the level is back to ok (free pages inside the database count).
      const k = await waitFor(
        async () => {
          const s = await kiosk(running);
          return s.level === 'ok' ? s : undefined;
        },
        'the disk back to ok',
        30_000,
        250,
      );
      assert.ok(k.freeMb >= 6);
      assert.equal(k.unsyncedReadings, UNSYNCED);
      const doctor = await run(process.execPath, [CLI, 'doctor', '--json', '-c', configFile]);
      const disk = (
        JSON.parse(doctor.out) as { checks: { name: string; status: string; detail: string }[] }
      ).checks.find((c) => c.name === 'disk');
      assert.match(disk?.detail ?? '', /5000 readings not yet at the district/);
      assert.match(disk?.detail ?? '', /last deletion for space .*: \d+ rows of readings/);

      // Now the disk fills to the last block. Readings are still acknowledged into the journal's room (written
      // in full at start) until a segment is full and cannot be emptied into SQLite: then they are refused
      // (not acknowledged), and the appliance stays up.
      client = await connect(`mqtt://127.0.0.1:${running.mqttPort}`, creds);
      let ts = Date.now();
      assert.equal(await publish(client, ts++), true, 'accepted while there is room');
      fill(mnt.path, 'ballast-2', 0);
      const acked: number[] = [];
      let refused = false;
      for (let i = 0; i < 200_000 && !refused; i++) {
        const t = ts++;
        if (await publish(client, t)) acked.push(t);
        else refused = true;
      }
      assert.ok(refused, 'a full disk refuses a reading instead of acknowledging it');
      assert.equal(running.child.exitCode, null, 'the appliance did not crash');
      // The guard's next check (disk.checkSeconds) says so: degraded, critical on the kiosk.
      const diskState = await waitFor(
        async () => {
          const h = (await (await fetch(`http://127.0.0.1:${running.httpPort}/api/v1/health`)).json()) as {
            components: { name: string; state: string; detail?: string }[];
          };
          const d = h.components.find((c) => c.name === 'disk');
          return d?.state === 'degraded' ? d : undefined;
        },
        'the disk component degraded',
        30_000,
        250,
      );
      assert.match(diskState.detail ?? '', /disk critical/);
      assert.equal((await kiosk(running)).level, 'critical');

      // Room again: the device's resend is acknowledged, and every acknowledged reading is stored.
      client.end(true);
      rmSync(join(mnt.path, 'ballast-2'));
      client = await connect(`mqtt://127.0.0.1:${running.mqttPort}`, creds);
      const resent = ts++;
      assert.equal(await publish(client, resent), true);
      acked.push(resent);
      assert.ok(acked.length > 1, `${acked.length} readings acknowledged into the journal on a full disk`);
      // The journal's readings reach the table at the next apply (store.applyIntervalMs) once there is room.
      const missing = (): number[] => {
        const have = new Set(
          readDb(dataDir, (db) =>
            (
              db.prepare("SELECT ts FROM readings WHERE device_id = 'co2-1' AND ts >= ?").all(acked[0] ?? 0) as {
                ts: number;
              }[]
            ).map((r) => r.ts),
          ),
        );
        return acked.filter((t) => !have.has(t));
      };
      await waitFor(
        () => (missing().length === 0 ? true : undefined),
        'every acknowledged reading applied',
        30_000,
        250,
      );
      assert.deepEqual(missing(), [], 'every acknowledged reading is in the database');
    } finally {
      client?.end(true);
      if (app && app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGTERM');
        await app.exited;
      }
      execFileSync('umount', ['-l', mnt.path]);
      mnt.cleanup();
    }
  },
);
