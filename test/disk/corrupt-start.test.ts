import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, statSync, writeSync, copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { CLI, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { spawnAppliance, healthy, type ChildAppliance } from '../helpers/child.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { addUser } from '../../edge/services/accounts.js';
import { addDevice } from '../../edge/services/devices.js';

const ASIDE = /^classedge\.db\.corrupt-\d{8}T\d{6}Z(-\d+)?$/;

/** A database as a running box leaves it: an admin, a device and enough readings to fill many pages. */
async function makeDatabase(dataDir: string): Promise<void> {
  const config = parseConfig(`dataDir: ${JSON.stringify(dataDir)}\n`, join(dataDir, 'config.yaml'));
  const store = Store.open(config);
  try {
    await addUser(store, config, { username: 'it-admin', role: 'admin', secret: 'Str0ng-Passw0rd!' }, 'test');
    await addDevice(store, { id: 'co2-1', kind: 'sensor' }, 'test');
    const t0 = Date.now() - 3_600_000;
    for (let b = 0; b < 20; b++)
      store.readings.insertMany(
        Array.from({ length: 2000 }, (_, i) => ({
          deviceId: 'co2-1',
          metric: 'co2',
          value: 400 + (i % 50),
          ts: t0 + b * 2000 + i,
          receivedAt: t0 + b * 2000 + i,
        })),
      );
  } finally {
    store.close();
  }
}

/** Overwrite pages in the middle of the file with noise, as a torn write or a failing card does. */
function damage(file: string): void {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    for (let page = Math.floor(size / 4096 / 2); page < Math.floor(size / 4096 / 2) + 8; page++)
      writeSync(fd, randomBytes(4096), 0, 4096, page * 4096);
  } finally {
    closeSync(fd);
  }
}

async function stop(app: ChildAppliance): Promise<void> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
  await app.exited;
}

async function kioskStorage(app: ChildAppliance): Promise<{ recoveredAt: number | null; level: string }> {
  const r = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/kiosk`);
  return ((await r.json()) as { storage: { recoveredAt: number | null; level: string } }).storage;
}

test(
  'a damaged database at start is moved aside, the appliance starts fresh, says so, and a second start does not move anything again',
  { timeout: 240_000 },
  async () => {
    const dir = tempDir();
    const apps: ChildAppliance[] = [];
    try {
      await makeDatabase(dir.path);
      const db = join(dir.path, 'classedge.db');
      damage(db);
      const before = new Database(db, { readonly: true });
      assert.notEqual(before.pragma('quick_check', { simple: true }), 'ok', 'the damage must show to quick_check');
      before.close();

      const first = await spawnAppliance(dir.path);
      apps.push(first);
      const h = await healthy(first, 120_000);
      assert.equal(h.status, 'degraded', 'a fresh start after damage serves, degraded, with the reason');
      const aside = readdirSync(dir.path).filter((n) => ASIDE.test(n));
      assert.equal(aside.length, 1, `one aside file: ${readdirSync(dir.path).join(', ')}`);
      assert.ok((await kioskStorage(first)).recoveredAt !== null, 'the kiosk is told');
      const health = (await (await fetch(`http://127.0.0.1:${first.httpPort}/api/v1/health`)).json()) as {
        components: { name: string; state: string; detail?: string }[];
      };
      const disk = health.components.find((c) => c.name === 'disk');
      assert.match(disk?.detail ?? '', /fresh database/);
      assert.match(first.stdout.join(''), /the database was damaged: moved aside/);
      await stop(first);

      const fresh = new Database(db, { readonly: true });
      try {
        assert.equal(fresh.pragma('quick_check', { simple: true }), 'ok');
        const rec = fresh.prepare("SELECT detail FROM audit_log WHERE action = 'store.corrupt-recovered'").all() as {
          detail: string;
        }[];
        assert.equal(rec.length, 1);
        assert.equal((JSON.parse(rec[0]?.detail ?? '{}') as { movedTo: string }).movedTo, aside[0]);
        // The accounts and devices were on pages the damage missed: copied back, so the box stays usable.
        assert.equal(
          (fresh.prepare("SELECT count(*) AS n FROM users WHERE username = 'it-admin'").get() as { n: number }).n,
          1,
        );
        assert.equal(
          (fresh.prepare("SELECT count(*) AS n FROM devices WHERE id = 'co2-1'").get() as { n: number }).n,
          1,
        );
        assert.equal((fresh.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 0);
        assert.ok(
          fresh.prepare("SELECT 1 FROM meta WHERE key = 'stream-rebase-pending'").get(),
          'numbering waits for the district',
        );
      } finally {
        fresh.close();
      }

      const doctor = await run(process.execPath, [CLI, 'doctor', '--json'], { env: { CLASSEDGE_DATA_DIR: dir.path } });
      const checks = (JSON.parse(doctor.out) as { checks: { name: string; status: string; detail: string }[] }).checks;
      const recovery = checks.find((c) => c.name === 'db-recovery');
      assert.equal(recovery?.status, 'warn');
      assert.match(recovery?.detail ?? '', new RegExp(aside[0] ?? 'none'));

      // The second start finds the fresh database sound: nothing moves, no new record, no loop.
      const second = await spawnAppliance(dir.path);
      apps.push(second);
      await healthy(second, 120_000);
      // The first run stopped cleanly: this start checks only what a start needs, in milliseconds.
      assert.match(second.stdout.join(''), /"scope":"bounded"[^\n]*database checked/);
      assert.match(first.stdout.join(''), /"scope":"full"[^\n]*database checked/);
      assert.deepEqual(
        readdirSync(dir.path).filter((n) => ASIDE.test(n)),
        aside,
      );
      assert.equal((await kioskStorage(second)).recoveredAt, null);
      await stop(second);
      const again = new Database(db, { readonly: true });
      try {
        const n = again
          .prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'store.corrupt-recovered'")
          .get() as {
          n: number;
        };
        assert.equal(n.n, 1);
      } finally {
        again.close();
      }
    } finally {
      for (const a of apps) await stop(a);
      dir.cleanup();
    }
  },
);

test(
  'a storage that damages database after database stops the start with what to do, instead of looping',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir();
    try {
      await makeDatabase(dir.path);
      const db = join(dir.path, 'classedge.db');
      damage(db);
      // Three earlier damaged copies: the card fails, and a fresh database would not stay sound either.
      for (const s of ['20261101T080000Z', '20261102T080000Z', '20261103T080000Z'])
        copyFileSync(db, join(dir.path, `classedge.db.corrupt-${s}`));
      const app = await spawnAppliance(dir.path);
      const exit = await app.exited;
      assert.notEqual(exit.code, 0);
      const said = app.stderr.join('') + app.stdout.join('');
      assert.match(said, /3 damaged databases were already moved aside/);
      assert.match(said, /classedge restore/);
      assert.equal(readdirSync(dir.path).filter((n) => ASIDE.test(n)).length, 3, 'nothing more moved');
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'a database on a read-only file system (a failing card remounted by the kernel) is a clear fatal error naming what to do',
  { timeout: 120_000 },
  async () => {
    const mnt = tempDir('classedge-ro-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt.path]);
    try {
      const dataDir = join(mnt.path, 'data');
      mkdirSync(dataDir);
      await makeDatabase(dataDir);
      damage(join(dataDir, 'classedge.db'));
      execFileSync('mount', ['-o', 'remount,ro', mnt.path]);
      const app = await spawnAppliance(dataDir);
      const exit = await app.exited;
      assert.notEqual(exit.code, 0);
      const said = app.stderr.join('') + app.stdout.join('');
      // A card with I/O errors is remounted read-only by the kernel: the file can be neither checked nor moved.
      assert.match(said, /cannot be opened to be checked/);
      assert.match(said, /read-only/);
      assert.match(said, /classedge restore/);
    } finally {
      execFileSync('umount', ['-l', mnt.path]);
      mnt.cleanup();
    }
  },
);
