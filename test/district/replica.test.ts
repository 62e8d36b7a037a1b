import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, startReplica } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';
import type { FleetAnswer } from '../../cloud-sync/server/console/contract.js';

/**
 * Issue 20 part 4: the console reads from a PostgreSQL streaming replica while the receiver writes
 * to the primary. Shown three ways: the console's read connections are on the replica (and none on
 * the primary); with the replica's replay paused, a heartbeat committed on the primary does not
 * show in the console until replay resumes; the console's own writes (login, session, audit) go to
 * the primary, which a replica would refuse.
 */

const PASSWORD = 'district-Passw0rd';

test(
  'the console reads the fleet from a streaming replica while the receiver writes to the primary',
  { timeout: 180_000 },
  async () => {
    const primary = await startPostgres();
    const replica = await startReplica(primary);
    const district = await startDistrict(primary);
    const dir = tempDir('classedge-replica-');
    const admin = new pg.Client({ connectionString: replica.url });
    try {
      await admin.connect();
      await new ConsoleStore(district.receiver.pool).putUser(
        { username: 'wang', role: 'district-it', school: '' },
        await hashSecret(PASSWORD),
      );
      const c = await district.receiver.listenConsole(0, '127.0.0.1', {
        offlineAfterMs: 15 * 60_000,
        readDatabaseUrl: replica.url,
      });
      const base = `http://127.0.0.1:${c.port}/console/api/v1`;
      const login = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'wang', password: PASSWORD }),
      });
      assert.equal(login.status, 200, 'the login writes its attempt, session and audit on the primary');
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      const fleet = async (): Promise<FleetAnswer> => {
        const r = await fetch(`${base}/fleet`, { headers: { cookie } });
        assert.equal(r.status, 200);
        return (await r.json()) as FleetAnswer;
      };

      await enrolDataDir(district.receiver, district.url, dir.path, 'room-rep', '实验小学');
      const t = await startTestAppliance(
        'appliance: { id: room-rep }\nsync: { allowPlainHttp: true, intervalMs: 3600000, heartbeatSeconds: 3600 }',
        { keepDir: dir.path },
      );
      try {
        const first = await waitFor(
          async () => (await fleet()).appliances.find((a) => a.id === 'room-rep' && a.lastHeartbeat !== null),
          'the first heartbeat, replicated and read by the console',
          30_000,
          100,
        );
        // The console's reads are the replica's connections, none the primary's.
        const on = async (client: pg.Client | pg.Pool): Promise<number> =>
          (
            await client.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'classedge-console-read'",
            )
          ).rows[0]!.n;
        assert.ok((await on(admin)) > 0, 'read connections on the replica');
        assert.equal(await on(district.receiver.pool), 0, 'no read connection on the primary');

        // Replay paused: the receiver commits a newer heartbeat on the primary; the console still
        // reads the replica's older one, until replay resumes.
        await admin.query('SELECT pg_wal_replay_pause()');
        await t.appliance.sync.heartbeatNow();
        const onPrimary = await district.receiver.pool.query<{ received_at: Date }>(
          "SELECT received_at FROM appliance_status WHERE appliance_id = 'room-rep'",
        );
        assert.ok(onPrimary.rows[0]!.received_at.getTime() > first.lastHeartbeat!, 'the primary has the newer one');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(
          (await fleet()).appliances.find((a) => a.id === 'room-rep')?.lastHeartbeat,
          first.lastHeartbeat,
          'the console reads the replica, paused behind the primary',
        );
        await admin.query('SELECT pg_wal_replay_resume()');
        await waitFor(
          async () => {
            const a = (await fleet()).appliances.find((x) => x.id === 'room-rep');
            return a && a.lastHeartbeat! > first.lastHeartbeat! ? a : undefined;
          },
          'the newer heartbeat once replay resumes',
          30_000,
          100,
        );
        // A replica refuses writes: the console's audit rows are on the primary.
        await assert.rejects(
          admin.query("INSERT INTO console_audit (username, action, result) VALUES ('x', 'y', 'ok')"),
          /read-only/,
        );
        const audit = await district.receiver.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM console_audit WHERE username = 'wang' AND action = 'console.login'",
        );
        assert.equal(audit.rows[0]!.n, 1);
      } finally {
        await t.stop();
      }
    } finally {
      await admin.end().catch(() => undefined);
      await district.stop();
      await replica.stop();
      await primary.stop();
      dir.cleanup();
    }
  },
);
