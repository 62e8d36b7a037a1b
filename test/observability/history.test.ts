import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAppliance, seedAccounts, ADMIN } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { withDbFile } from '../helpers/sqlite.js';
import { Store } from '../../edge/store/store.js';
import { parseConfig } from '../../edge/config/load.js';
import type { HistorySample } from '../../edge/store/repos/system-history.js';
import { historyPoints } from '../../edge/observability/history-points.js';

const TIMEOUT = { timeout: 120_000 };

function sample(ts: number, over: Partial<HistorySample> = {}): HistorySample {
  return {
    ts,
    spanMs: 300_000,
    cpuShare: 0.1,
    rssBytes: 100e6,
    diskFreeBytes: 10e9,
    flashBytes: 3e6,
    loopLagP99Ms: 12,
    syncLagS: 60,
    ...over,
  };
}

test(
  'the history ring stays bounded by row count: the oldest rows go, the newest stay, in a real SQLite file',
  TIMEOUT,
  () => {
    const dir = tempDir('classedge-history-');
    const config = parseConfig(`dataDir: ${JSON.stringify(dir.path)}\n`, join(dir.path, 'config.yaml'));
    const store = Store.open(config);
    try {
      const t0 = Date.UTC(2026, 8, 1);
      let most = 0;
      for (let i = 0; i < 1000; i++) {
        store.systemHistory.append(sample(t0 + i * 300_000, { rssBytes: i }), 200);
        most = Math.max(most, store.systemHistory.count());
      }
      // A batch of 2 rows (1 %) goes at a time: never more than the bound plus that batch less one.
      assert.ok(most <= 201, `at most ${most} rows`);
      assert.ok(store.systemHistory.count() >= 199);
      const rows = store.systemHistory.since(0);
      assert.equal(rows.at(-1)!.rssBytes, 999, 'the newest row kept');
      assert.ok(rows[0]!.rssBytes >= 799, `the oldest kept is ${rows[0]!.rssBytes}`);
      assert.deepEqual(
        rows.map((r) => r.ts),
        [...rows.map((r) => r.ts)].sort((a, b) => a - b),
      );
    } finally {
      store.close();
      dir.cleanup();
    }
  },
);

test('points merge samples into buckets: means, the write rate over the time covered, the worst lags, gaps kept', () => {
  const b = 1_800_000; // 30-minute buckets
  const base = 1000 * b;
  const pts = historyPoints(
    [
      sample(base + 1, { cpuShare: 0.2, flashBytes: 1e6, spanMs: 300_000, loopLagP99Ms: 5, syncLagS: null }),
      sample(base + 2, { cpuShare: 0.4, flashBytes: 2e6, spanMs: 300_000, loopLagP99Ms: 40, syncLagS: 10 }),
      sample(base + 3 * b, { flashBytes: null }),
    ],
    b / 1000,
  );
  assert.equal(pts.length, 2, 'the empty buckets between are left out');
  assert.ok(Math.abs(pts[0]!.cpuShare - 0.3) < 1e-9);
  assert.equal(pts[0]!.flashBytesPerHour, 3e6 * 6, '3 MB over 10 minutes is 18 MB an hour');
  assert.equal(pts[0]!.loopLagP99Ms, 40);
  assert.equal(pts[0]!.syncLagS, 10);
  assert.equal(pts[1]!.flashBytesPerHour, null);
});

test(
  'a running appliance samples itself into the ring, keeps it bounded, and serves 24 h and 7 d to admins',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance('metrics: { historyIntervalSeconds: 1, historyMaxRows: 10 }');
    try {
      await seedAccounts(t);
      const api = new ApiClient(t.httpUrl);
      assert.equal((await api.get('/api/v1/system/history')).status, 401);
      await api.loginAdmin(ADMIN.username, ADMIN.password);
      const rows = (): number =>
        withDbFile(
          t.dataDir,
          (db) => (db.prepare('SELECT count(*) AS n FROM system_history').get() as { n: number }).n,
        );
      await waitFor(
        () => (t.appliance.statuses().find((s) => s.name === 'history')?.counters?.samples ?? 0) >= 13,
        '13 samples',
        60_000,
        200,
      );
      assert.ok(rows() <= 10, `${rows()} rows kept of 13 written`);
      const day = await api.get('/api/v1/system/history?range=24h');
      assert.equal(day.status, 200);
      assert.equal(day.body.intervalS, 1);
      assert.ok(day.body.points.length >= 1);
      const p = day.body.points.at(-1);
      assert.ok(p.cpuShare >= 0 && p.cpuShare <= 1, `cpu share ${p.cpuShare}`);
      assert.ok(p.rssBytes > 20e6);
      assert.ok(p.diskFreeBytes > 0);
      assert.ok(p.loopLagP99Ms >= 0 && p.loopLagP99Ms < 5000);
      if (existsSync('/proc/self/io')) assert.notEqual(p.flashBytesPerHour, null);
      assert.equal(p.syncLagS, null, 'not enrolled: no sync lag');
    } finally {
      await t.stop();
    }
  },
);

test(
  '7 days of samples every 5 minutes come back as at most 400 points; a bad range is refused by name',
  TIMEOUT,
  async () => {
    const t = await startTestAppliance();
    try {
      await seedAccounts(t);
      const api = new ApiClient(t.httpUrl);
      await api.loginAdmin(ADMIN.username, ADMIN.password);
      const now = Date.now();
      for (let i = 2015; i >= 0; i--) t.appliance.store.systemHistory.append(sample(now - i * 300_000), 2100);
      const week = await api.get('/api/v1/system/history?range=7d');
      assert.equal(week.status, 200);
      assert.ok(week.body.points.length <= 400 && week.body.points.length > 300, `${week.body.points.length} points`);
      assert.ok(week.body.bucketS >= 1512);
      const day = await api.get('/api/v1/system/history');
      assert.equal(day.body.range, '24h');
      assert.equal(day.body.points.length, 288, 'a day of 5-minute samples, one point each');
      const bad = await api.get('/api/v1/system/history?range=1y');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body.issues), /range/);
    } finally {
      await t.stop();
    }
  },
);
