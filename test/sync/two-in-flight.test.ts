import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPostgres } from '../helpers/postgres.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { enrolDataDir } from '../helpers/district.js';
import { StreamTurns } from '../../cloud-sync/server/stream-turns.js';

test(
  'stream turns: handed out in the order taken, a turn stuck past the wait is passed, and nothing is kept after',
  { timeout: 10_000 },
  async () => {
    const turns = new StreamTurns(200);
    const order: string[] = [];
    const a = turns.take('room\nreadings');
    const b = turns.take('room\nreadings');
    const other = turns.take('room\nhealth-checks');
    void b.ready.then(() => order.push('b'));
    await other.ready;
    order.push('other');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, ['other'], 'b waits for a; another stream does not');
    a.done();
    await b.ready;
    assert.deepEqual(order, ['other', 'b']);
    b.done();
    other.done();
    assert.equal(turns.size, 0);
    // A turn never given back (a request that hangs) holds the next one for maxWaitMs only.
    turns.take('room\nreadings');
    const c = turns.take('room\nreadings');
    const t0 = performance.now();
    await c.ready;
    assert.ok(performance.now() - t0 >= 150, 'waited for the stuck turn');
    c.done();
  },
);

test(
  'readings go two batches in flight: the district checks one while it commits the other, in order, each record once and no gap refused',
  { timeout: 180_000 },
  async () => {
    const pg = await startPostgres();
    const receiver = new DistrictReceiver({ databaseUrl: pg.url });
    await receiver.migrate();
    const app = receiver.app();
    let open = 0;
    let maxOpen = 0;
    const statuses: number[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/v1/batches')) {
        open++;
        maxOpen = Math.max(maxOpen, open);
        res.on('close', () => {
          open--;
          statuses.push(res.statusCode);
        });
      }
      app(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dir = tempDir('classedge-two-in-flight-');
    try {
      await enrolDataDir(receiver, `http://127.0.0.1:${port}`, dir.path, 'room-two');
      const t = await startTestAppliance(
        `appliance: { id: room-two }\nsync: { allowPlainHttp: true, intervalMs: 3600000, batchMaxRecords: 500, bulkWindow: { from: '00:00', to: '00:01' } }`,
        { keepDir: dir.path },
      );
      try {
        const N = 20_000;
        const base = Date.now() - 3_600_000;
        t.appliance.store.readings.insertMany(
          Array.from({ length: N }, (_, j) => ({
            deviceId: `modbus-${(j % 6) + 1}`,
            metric: 'co2_ppm',
            value: 500 + (j % 400),
            ts: base + j * 100,
            receivedAt: base,
          })),
        );
        t.appliance.sync.requestBulk();
        await waitFor(
          () => (t.appliance.sync.streams().find((s) => s.stream === 'readings')?.backlog === 0 ? true : undefined),
          'readings synced',
          120_000,
          50,
        );
        const r = await receiver.pool.query<{ n: number; distinct: number; lo: string; hi: string }>(
          "SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct, min(seq) AS lo, max(seq) AS hi FROM records WHERE appliance_id = 'room-two' AND stream = 'readings'",
        );
        assert.deepEqual(r.rows[0], { n: N, distinct: N, lo: '1', hi: String(N) });
        assert.ok(maxOpen >= 2, `at most ${maxOpen} batch request open at once: not two in flight`);
        assert.deepEqual(
          [...new Set(statuses)],
          [200],
          `every batch answered 200 (a 409 is a gap refused: the second batch overtook the first)`,
        );
        assert.equal(t.appliance.sync.status().counters?.failures ?? 0, 0);
      } finally {
        await t.stop();
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await receiver.close();
      await pg.stop();
      dir.cleanup();
    }
  },
);
