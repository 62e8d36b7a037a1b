import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, ROOT, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { newKeyPair, privateKeyFrom } from '../../edge/security/signing.js';
import { makeBundle } from '../../edge/update/bundle.js';
import { compareVersions, isVersion } from '../../edge/update/semver.js';
import { bench, goodTree } from '../helpers/update-bench.js';

const schema = (data: string): number => {
  const db = new Database(join(data, 'classedge.db'), { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

// Each update test starts and stops several appliance versions as child processes: on a loaded
// 2-core machine (the bare-root check under other work) they needed more than the suite's 240 s.
const UPDATE_TEST_TIMEOUT_MS = 600_000;

test(
  'updates: a tampered, expired, other-channel or other-appliance bundle is refused; a good one is switched to; an older one (its own pre-release too) is refused, also after a restore; one that fails its health check is rolled back with its migration undone and the last writes kept; old pre-update copies go',
  { timeout: UPDATE_TEST_TIMEOUT_MS },
  async () => {
    const dir = tempDir('classedge-update-');
    const b = await bench(dir.path);
    try {
      const good = b.bundle('2.0.0', 'good');
      // Tampered three ways: a payload byte, the signed version, another signer.
      const raw = readFileSync(good);
      const flipped = Buffer.from(raw);
      flipped[flipped.length - 100] = (flipped[flipped.length - 100] ?? 0) ^ 1;
      writeFileSync(join(dir.path, 'flipped.update'), flipped);
      writeFileSync(
        join(dir.path, 'renamed.update'),
        Buffer.from(raw.toString('latin1').replace('"version":"2.0.0"', '"version":"9.0.0"'), 'latin1'),
      );
      makeBundle(
        join(dir.path, 'build', '2.0.0'),
        { version: '2.0.0' },
        privateKeyFrom(newKeyPair().privateKeyPem),
        join(dir.path, 'other.update'),
      );
      for (const [f, why] of [
        ['flipped.update', /signed SHA-256/],
        ['renamed.update', /signature by the district's key/],
        ['other.update', /signature by the district's key/],
      ] as const) {
        const r = await run(process.execPath, b.args([join(dir.path, f)]));
        assert.equal(r.code, 2, `${f}: ${r.err}`);
        assert.match(r.err, why);
      }
      // Signed by the district, but not for this box now: expired, another channel, other appliances.
      for (const [f, why] of [
        [b.bundle('2.0.0', 'good', { expiresAt: new Date(Date.now() - 60_000) }), /\/expiresAt.*has not expired/],
        [b.bundle('2.0.0', 'good', { channel: 'pilot' }), /\/channel.*update\.channel: stable/],
        [
          b.bundle('2.0.0', 'good', { appliances: ['room-999'] }),
          /\/appliances.*signed for this appliance \(room-601\)/,
        ],
      ] as const) {
        const r = await run(process.execPath, b.args([f]));
        assert.equal(r.code, 2, `${f}: ${r.err}`);
        assert.match(r.err, why);
      }
      assert.equal(readlinkSync(join(b.root, 'current')), join('versions', '1.0.0'));
      assert.equal(existsSync(join(b.root, 'versions', '2.0.0')), false, 'nothing unpacked from a refused bundle');

      const up = await run(
        process.execPath,
        b.args([b.bundle('2.0.0', 'good', { appliances: ['room-601', 'room-602'] }), '--json']),
      );
      assert.equal(up.code, 0, up.err);
      assert.deepEqual(
        JSON.parse(up.out || 'null'),
        { from: '1.0.0', to: '2.0.0', result: 'updated' },
        `exit ${String(up.code)}: ${up.err}`,
      );
      assert.equal(readlinkSync(join(b.root, 'current')), join('versions', '2.0.0'));
      assert.equal(await b.health(), 200);
      assert.equal(b.served(), '2.0.0');
      // An older bundle, even one the district signed, is not replayed.
      const old = await run(process.execPath, b.args([b.bundle('1.5.0', 'good')]));
      assert.notEqual(old.code, 0);
      assert.match(old.err, /older than the running 2\.0\.0; refused/);
      // Its own release candidate is older too (semver: 2.0.0-rc.1 < 2.0.0).
      const rc = await run(process.execPath, b.args([b.bundle('2.0.0-rc.1', 'good')]));
      assert.equal(rc.code, 2, rc.err);
      assert.match(rc.err, /2\.0\.0-rc\.1, older than the running 2\.0\.0; refused/);
      assert.equal(readlinkSync(join(b.root, 'current')), join('versions', '2.0.0'));
      assert.equal(readFileSync(join(b.root, 'installed-floor'), 'utf8'), '2.0.0\n');

      // The floor travels in the backup: a replacement box installed with the old 1.0.0 image and
      // restored from this one's backup still refuses 1.5.0 and 2.0.0-rc.1.
      const pass = join(dir.path, 'pass');
      writeFileSync(pass, 'correct horse battery staple\n');
      const archive = join(dir.path, 'room-601.ceb');
      const bk = await run(process.execPath, [
        CLI,
        'backup',
        '--out',
        archive,
        '--data-dir',
        b.data,
        '--passphrase-file',
        pass,
      ]);
      assert.equal(bk.code, 0, bk.err);
      const data2 = join(dir.path, 'data2');
      const rs = await run(process.execPath, [CLI, 'restore', archive, '--data-dir', data2, '--passphrase-file', pass]);
      assert.equal(rs.code, 0, rs.err);
      const root2 = join(dir.path, 'opt2');
      goodTree(join(root2, 'versions', '1.0.0'), '1.0.0', b.marker);
      symlinkSync(join('versions', '1.0.0'), join(root2, 'current'));
      for (const v of ['1.5.0', '2.0.0-rc.1']) {
        const r = await run(process.execPath, b.args([b.bundle(v, 'good')], 30, { root: root2, data: data2 }));
        assert.equal(r.code, 2, `${v}: ${r.err}`);
        assert.match(
          r.err,
          new RegExp(`${v.replace(/\./g, '\\.')}, older than 2\\.0\\.0, which this appliance .*has run; refused`),
        );
      }
      assert.equal(readlinkSync(join(root2, 'current')), join('versions', '1.0.0'));
      assert.deepEqual(readdirSync(join(root2, 'versions')), ['1.0.0']);
      const before = schema(b.data);
      // A copy from long ago (older than the shortest retention of what it holds) and the copy
      // of the update to 2.0.0: after the next update only that update's copy is left (keep 1).
      writeFileSync(join(b.data, 'pre-update-0.9.0.db'), 'an old copy');
      const longAgo = (Date.now() - 400 * 86_400_000) / 1000;
      utimesSync(join(b.data, 'pre-update-0.9.0.db'), longAgo, longAgo);
      assert.ok(existsSync(join(b.data, 'pre-update-1.0.0.db')));
      // What the old version writes while it shuts down (its last group commit) is in the
      // pre-update copy, because the copy is taken after the stop.
      const lastWrite = join(dir.path, 'last-write.cjs');
      writeFileSync(
        lastWrite,
        `const D = require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});
const d = new D(${JSON.stringify(join(b.data, 'classedge.db'))});
d.prepare('INSERT INTO readings (device_id, metric, value, ts, received_at) VALUES (?, ?, ?, ?, ?)').run('co2-a', 'co2_ppm', 4242, Date.now(), Date.now());
d.close();
`,
      );
      const stopAndWrite = `${b.stopCommand} && ${process.execPath} ${lastWrite}`;

      const bad = await run(process.execPath, b.args([b.bundle('3.0.0', 'bad'), '--json'], 8, { stop: stopAndWrite }));
      assert.equal(bad.code, 1, bad.err);
      assert.deepEqual(
        JSON.parse(bad.out || 'null'),
        { from: '2.0.0', to: '3.0.0', result: 'rolled-back' },
        `no JSON result; stderr: ${bad.err}`,
      );
      assert.match(bad.err, /not healthy within 8 s/);
      assert.match(bad.err, /database-restored/);
      assert.equal(readlinkSync(join(b.root, 'current')), join('versions', '2.0.0'));
      assert.equal(await b.health(), 200, 'the old version keeps serving');
      assert.equal(b.served(), '2.0.0');
      assert.equal(schema(b.data), before, "the bad version's migration is undone");
      const db = new Database(join(b.data, 'classedge.db'), { readonly: true });
      assert.equal((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 101);
      assert.equal(
        (db.prepare('SELECT count(*) AS n FROM readings WHERE value = 4242').get() as { n: number }).n,
        1,
        'the write made while the old version stopped survived the schema rollback',
      );
      db.close();
      assert.deepEqual(
        readdirSync(b.data).filter((f) => /^pre-update-(0\.9\.0|1\.0\.0|2\.0\.0\.db$)/.test(f)),
        ['pre-update-2.0.0.db'],
        'the copy beyond update.keepPreUpdateCopies and the one past its retention are gone',
      );
    } finally {
      await b.stop();
      dir.cleanup();
    }
  },
);

test(
  'updates: killed -9 at each step, the appliance recovers to a working version',
  { timeout: UPDATE_TEST_TIMEOUT_MS },
  async () => {
    const dir = tempDir('classedge-update-kill-');
    const b = await bench(dir.path);
    try {
      const bundle = b.bundle('4.0.0', 'good');
      for (const step of ['verified', 'installed', 'backed-up', 'stopped', 'switched', 'started']) {
        // Its own process group, killed whole: the update and the start or stop command it is running
        // die together, as in a power cut. Killing the update alone left its start command running
        // on, which started a version after the recovery had stopped the service: it outlived the test.
        const child = spawn(process.execPath, b.args([bundle]), {
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true,
        });
        let err = '';
        const killed = new Promise<void>((resolve) => {
          child.stderr.on('data', (d: Buffer) => {
            err += d.toString();
            if (err.includes(`step ${step}:`)) {
              try {
                process.kill(-(child.pid ?? 0), 'SIGKILL');
              } catch {
                // the group is gone already; the assertion on the signal below says so
              }
              resolve();
            }
          });
          child.on('exit', () => resolve());
        });
        await killed;
        await new Promise((r) => child.once('exit', r));
        assert.equal(child.signalCode, 'SIGKILL', `killed at ${step}: ${err}`);
        // What the service's ExecStartPre does at the next boot.
        const rec = await run(process.execPath, b.args(['--recover']));
        assert.equal(rec.code, 0, `${step}: ${rec.err}`);
        await waitFor(
          async () => ((await b.health()) === 200 ? true : undefined),
          `healthy after a kill at ${step}`,
          20_000,
          100,
        );
        const cur = readlinkSync(join(b.root, 'current'));
        assert.equal(
          cur,
          join('versions', '1.0.0'),
          `after a kill at ${step}, back on the version known to be healthy`,
        );
        assert.equal(b.served(), '1.0.0');
        assert.equal(existsSync(join(b.root, 'update-state.json')), false);
      }
      // And then the update goes through.
      const up = await run(process.execPath, b.args([bundle]));
      assert.equal(up.code, 0, up.err);
      assert.equal(b.served(), '4.0.0');
    } finally {
      await b.stop();
      dir.cleanup();
    }
  },
);

test(
  'updates: a stop or a backup that fails before the switch is recovered at once: the old version serves again, no update is left half done',
  { timeout: UPDATE_TEST_TIMEOUT_MS },
  async () => {
    const dir = tempDir('classedge-update-preswitch-');
    const b = await bench(dir.path);
    try {
      const bundle = b.bundle('2.0.0', 'good');
      const settled = async (what: string): Promise<void> => {
        await waitFor(
          async () => ((await b.health()) === 200 ? true : undefined),
          `healthy after ${what}`,
          20_000,
          100,
        );
        assert.equal(readlinkSync(join(b.root, 'current')), join('versions', '1.0.0'), what);
        assert.equal(b.served(), '1.0.0', what);
        assert.equal(existsSync(join(b.root, 'update-state.json')), false, `${what}: nothing left to recover`);
      };
      // The stop command stops the service but reports failure (a unit that times out on its way down).
      const stopFails = await run(process.execPath, b.args([bundle], 30, { stop: `${b.stopCommand}; exit 3` }));
      assert.equal(stopFails.code, 2, stopFails.err);
      assert.match(stopFails.err, /stopping the service .* failed: exit 3/);
      assert.match(stopFails.err, /update to 2\.0\.0 failed before the switch: .*; 1\.0\.0 runs again/);
      await settled('a failed stop');

      // The pre-update copy cannot be written (a directory where its temp file goes).
      mkdirSync(join(b.data, 'pre-update-1.0.0.db.tmp', 'in-the-way'), { recursive: true });
      const backupFails = await run(process.execPath, b.args([bundle]));
      assert.equal(backupFails.code, 2, backupFails.err);
      assert.match(backupFails.err, /step stopped: 1\.0\.0/);
      assert.match(backupFails.err, /step recovered: 1\.0\.0 runs/);
      assert.match(backupFails.err, /update to 2\.0\.0 failed before the switch/);
      await settled('a failed backup');
      assert.equal(existsSync(join(b.data, 'pre-update-1.0.0.db.tmp')), false, 'the half-written copy is gone');

      // Both refusals are on the audit record.
      const db = new Database(join(b.data, 'classedge.db'), { readonly: true });
      const audits = db
        .prepare<[], { result: string }>("SELECT result FROM audit_log WHERE action = 'update' ORDER BY id")
        .all();
      db.close();
      assert.deepEqual(
        audits.map((a) => a.result),
        ['error', 'error'],
      );

      const up = await run(process.execPath, b.args([bundle]));
      assert.equal(up.code, 0, up.err);
      assert.equal(b.served(), '2.0.0');
    } finally {
      await b.stop();
      dir.cleanup();
    }
  },
);

test('versions are ordered as semver.org §11 says: pre-releases below their release, numeric identifiers as numbers', () => {
  // §11's own example chains, lowest first.
  for (const chain of [
    ['1.0.0', '2.0.0', '2.1.0', '2.1.1'],
    [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ],
    ['1.9.2', '1.10.0', '1.10.1-0', '1.10.1', '10.0.0'],
    // Alphanumeric identifiers in ASCII order (upper case before lower), numeric ones below them.
    ['1.0.0-1', '1.0.0-99', '1.0.0-B', '1.0.0-a', '1.0.0-a.1', '1.0.0-a.b'],
  ]) {
    for (const [i, x] of chain.entries())
      for (const [j, y] of chain.entries()) assert.equal(compareVersions(x, y), Math.sign(i - j), `${x} vs ${y}`);
  }
  assert.equal(compareVersions('1.5.0-rc.1', '1.5.0'), -1);
  assert.equal(compareVersions('1.5.0', '1.5.0-rc.1'), 1);
  // Numbers past 2^53 compare exactly (no floating point).
  assert.equal(compareVersions('1.0.0-9007199254740993', '1.0.0-9007199254740992'), 1);
  for (const v of ['1.0.0', '0.0.1-rc.1', '1.2.3-x-y.0a', '1.0.0-0']) assert.equal(isVersion(v), true, v);
  for (const v of [
    '01.0.0',
    '1.0',
    '1.0.0-',
    '1.0.0-01',
    '1.0.0-a..b',
    '1.0.0+build.1',
    'v1.0.0',
    ' 1.0.0',
    `1.0.0-${'x'.repeat(64)}`,
  ])
    assert.equal(isVersion(v), false, v);
  assert.throws(() => compareVersions('1.0', '1.0.0'), /not a semantic version: "1\.0"/);
});
