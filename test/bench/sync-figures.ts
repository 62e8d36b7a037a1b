import { startPostgres } from '../helpers/postgres.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { enrolDataDir } from '../helpers/district.js';
import type { FigureGroup } from './figures.js';
import { withDbFile } from '../helpers/sqlite.js';
import { NothingMeasured, atLeast, measured, ratio } from './guard.js';
import { CountingServer } from './wire.js';

/**
 * One classroom-day (1 000 000 readings, the figure in issue #8) from the appliance's store to
 * committed rows in PostgreSQL over loopback, and the bytes on the wire (counted at the district's
 * sockets, both ways, headers included) against the raw JSON.
 */
async function classroomDay(): Promise<Record<string, number>> {
  const pg = await startPostgres();
  const receiver = new DistrictReceiver({ databaseUrl: pg.url });
  await receiver.migrate();
  // The receiver's own routes on a server that counts the bytes at its sockets: what the agent put
  // on the wire (request lines, headers, bodies) and what came back, whatever HTTP client it uses.
  const wire = new CountingServer(receiver.app());
  const port = await wire.listen();
  const dir = tempDir('classedge-bench-');
  const N = 1_000_000;
  try {
    await enrolDataDir(receiver, `http://127.0.0.1:${port}`, dir.path, 'bench-room');
    // Fill the store first (as a day of sensors would), with the sync agent idle outside its window.
    const t = await startTestAppliance(
      `appliance: { id: bench-room }\nsync: { allowPlainHttp: true, intervalMs: 3600000, batchMaxRecords: 20000, bulkWindow: { from: '00:00', to: '00:01' } }`,
      { keepDir: dir.path },
    );
    const base = Date.parse('2026-11-23T00:00:00Z');
    const metrics = ['co2_ppm', 'temperature_c', 'humidity_pct', 'pm25_ugm3', 'noise_dba', 'illuminance_lx'];
    const values = [800, 23, 50, 20, 50, 400];
    for (let i = 0; i < N; i += 20_000) {
      t.appliance.store.readings.insertMany(
        Array.from({ length: 20_000 }, (_, k) => {
          const j = i + k;
          return {
            deviceId: `modbus-${(j % 6) + 1}`,
            metric: metrics[j % 6] as string,
            value: (values[j % 6] as number) + (j % 17) / 10,
            ts: base + Math.floor(j / 6) * 500,
            receivedAt: base,
          };
        }),
      );
    }
    // Raw size: the records as plain JSON lines, what an uncompressed upload would carry.
    let raw = 0;
    let rows = 0;
    withDbFile(t.dataDir, (db) => {
      for (const r of db
        .prepare<[], { id: number; device_id: string; metric: string; value: number; ts: number }>(
          'SELECT id, device_id, metric, value, ts FROM readings',
        )
        .iterate()) {
        rows++;
        raw +=
          JSON.stringify({
            seq: r.id,
            day: '2026-11-23',
            payload: { device: r.device_id, metric: r.metric, value: r.value, ts: r.ts },
          }).length + 1;
      }
    });
    atLeast('readings stored for the day', rows, N);
    const bodies = (): number => t.appliance.sync.status().counters?.bytesSent ?? 0;
    const before = { ...wire.bytes(), bodies: bodies() };
    const t0 = performance.now();
    t.appliance.sync.requestBulk();
    await waitFor(
      () => (t.appliance.sync.streams().find((s) => s.stream === 'readings')?.backlog === 0 ? true : undefined),
      'classroom day synced',
      600_000,
      50,
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = { ...wire.bytes(), bodies: bodies() };
    const committed = (
      await receiver.pool.query("SELECT count(*)::int AS n FROM records WHERE appliance_id = 'bench-room'")
    ).rows[0].n;
    if (committed !== N) throw new Error(`${committed} of ${N} committed`);
    await t.stop();
    const received = measured('bytes the district received during the sync', after.received - before.received);
    const sent = measured('bytes the district answered during the sync', after.sent - before.sent);
    // The agent's own count of the bodies it sent: the socket cannot have carried less.
    const agentBodies = measured("the agent's count of the bodies it sent", after.bodies - before.bodies);
    if (received < agentBodies)
      throw new NothingMeasured(
        `the district's sockets received ${received} bytes, fewer than the ${agentBodies} bytes of bodies the agent sent: the count misses a connection`,
      );
    return {
      sync_classroom_day_s: Math.round(measured('seconds to sync the day', seconds) * 10) / 10,
      sync_wire_ratio: Math.round(ratio('wire bytes / raw JSON bytes', received + sent, raw) * 1000) / 1000,
    };
  } finally {
    await wire.close();
    await receiver.close();
    await pg.stop();
    dir.cleanup();
  }
}

export const syncFigures: FigureGroup[] = [{ figures: ['sync_classroom_day_s', 'sync_wire_ratio'], run: classroomDay }];

/**
 * The district side under load: 50 simulated appliances (each its own enrolled key) sending signed
 * 5 000-record batches concurrently for 10 s to one receiver process on one PostgreSQL, loopback.
 */
async function districtIngest(): Promise<Record<string, number>> {
  const { randomUUID } = await import('node:crypto');
  const { gzipSync } = await import('node:zlib');
  const { batchRequestHeaders } = await import('../../cloud-sync/protocol.js');
  const { newKeyPair, privateKeyFrom } = await import('../../edge/security/signing.js');
  const pg = await startPostgres();
  const receiver = new DistrictReceiver({ databaseUrl: pg.url, poolSize: 20 });
  await receiver.migrate();
  const port = await receiver.listen(0);
  const APPLIANCES = 50;
  const BATCH = 5000;
  try {
    const clients = await Promise.all(
      Array.from({ length: APPLIANCES }, async (_, i) => {
        const id = `load-${i}`;
        const k = newKeyPair();
        const token = await receiver.createToken(id);
        await fetch(`http://127.0.0.1:${port}/v1/enrol`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token, applianceId: id, publicKey: k.publicKeyPem }),
        });
        return { id, key: privateKeyFrom(k.privateKeyPem), next: 1 };
      }),
    );
    let committed = 0;
    let stop = false;
    const loop = async (c: (typeof clients)[number]): Promise<void> => {
      while (!stop) {
        const first = c.next;
        const lines = Array.from({ length: BATCH }, (_, k) =>
          JSON.stringify({
            seq: first + k,
            day: '2026-11-23',
            payload: { device: 'modbus-1', metric: 'co2_ppm', value: 600 + (k % 300), ts: 1795363200000 + first + k },
          }),
        );
        const body = gzipSync(lines.join('\n'), { level: 6 });
        const h = { appliance: c.id, batch: randomUUID(), stream: 'readings', first, last: first + BATCH - 1 };
        const r = await fetch(`http://127.0.0.1:${port}/v1/batches`, {
          method: 'POST',
          headers: batchRequestHeaders(h, body, c.key),
          body,
        });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`batch refused: ${r.status}`);
        if (!stop) committed += BATCH;
        c.next += BATCH;
      }
    };
    // Warm up, then measure 10 s.
    const running = clients.map((c) => loop(c));
    await new Promise((r) => setTimeout(r, 2000));
    const before = committed;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const rows = committed - before;
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await Promise.all(running);
    return { district_ingest_rows_per_s: Math.round(ratio('rows committed per second', rows, seconds)) };
  } finally {
    await receiver.close();
    await pg.stop();
  }
}

syncFigures.push({ figures: ['district_ingest_rows_per_s'], run: districtIngest });
