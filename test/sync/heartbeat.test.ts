import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { VERSION } from '../../edge/version.js';
import { applianceKey } from '../../edge/sync/keys.js';
import { emmcLifeUsedPercent } from '../../edge/sync/heartbeat.js';
import { signText } from '../../edge/security/signing.js';
import {
  REQUEST_KINDS,
  heartbeatSigningExtra,
  requestSigningString,
  HeartbeatStatus,
} from '../../cloud-sync/protocol.js';
import { Value } from '@sinclair/typebox/value';
import { FleetStore } from '../../cloud-sync/server/fleet-store.js';

/**
 * Heartbeats (issue 20, part 2): a real appliance sends its signed status to a real receiver on a
 * real PostgreSQL; the fleet view marks it online, then offline after the configured silence; the
 * receiver refuses hostile heartbeats by field and keeps what it had.
 */

let pgsql: TestPostgres;
before(async () => {
  pgsql = await startPostgres();
});
after(async () => pgsql.stop());

const status = (over: Partial<HeartbeatStatus> = {}): HeartbeatStatus => ({
  sentAt: Date.now(),
  version: '1.2.3',
  uptimeS: 60,
  components: [
    { name: 'sync', kind: 'sync-agent', state: 'running' },
    { name: 'bus-1', kind: 'modbus-bus', state: 'degraded', detail: 'slave 3 not answering' },
  ],
  disk: { freeBytes: 20 * 2 ** 30, totalBytes: 32 * 2 ** 30 },
  flash: { writtenBytesPerDay: 50_000_000, lifeUsedPercent: 20 },
  streams: { readings: { backlog: 12, lagS: 30, quarantined: 0 } },
  configVersion: 0,
  ...over,
});

test(
  'an appliance sends its status at start: online with its version, components, disk and streams; offline after the silence; the CLI lists it',
  { timeout: 120_000 },
  async () => {
    const district = await startDistrict(pgsql);
    const dir = tempDir('classedge-heartbeat-');
    try {
      await enrolDataDir(district.receiver, district.url, dir.path, 'room-hb');
      const t = await startTestAppliance(
        'appliance: { id: room-hb }\nsync: { allowPlainHttp: true, intervalMs: 3600000, heartbeatSeconds: 30 }',
        { keepDir: dir.path },
      );
      try {
        const row = await waitFor(
          async () => (await district.receiver.fleet.fleet(new Date(), 15 * 60_000)).find((r) => r.lastHeartbeat),
          'the first heartbeat',
          20_000,
        );
        assert.equal(row.id, 'room-hb');
        assert.equal(row.online, true);
        assert.ok(row.status);
        assert.equal(row.status.version, VERSION);
        const names = row.status.components.map((c) => c.name);
        for (const n of ['disk', 'broker', 'sync', 'analysis', 'http'])
          assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
        assert.equal(row.status.components.find((c) => c.name === 'sync')?.state, 'running');
        assert.ok(row.status.disk.totalBytes > 0 && row.status.disk.freeBytes > 0, JSON.stringify(row.status.disk));
        assert.ok('readings' in row.status.streams && 'health-checks' in row.status.streams);
        assert.ok(Math.abs(row.clockSkewMs ?? Infinity) < 10_000, `skew ${row.clockSkewMs}`);
        // A heartbeat on demand answers and is counted; the status is replaced, not added to.
        await t.appliance.sync.heartbeatNow();
        const counters = t.appliance.sync.status().counters ?? {};
        assert.ok((counters.heartbeats ?? 0) >= 2, JSON.stringify(counters));
        assert.equal(
          Number((await district.receiver.pool.query('SELECT count(*) AS n FROM appliance_status')).rows[0].n),
          1,
        );
        // One history row for both: nothing changed in the version or a component's state within the hour.
        assert.equal(
          Number(
            (
              await district.receiver.pool.query(
                "SELECT count(*) AS n FROM appliance_status_history WHERE appliance_id = 'room-hb'",
              )
            ).rows[0].n,
          ),
          1,
        );

        // The CLI a district engineer runs.
        const cli = await run(process.execPath, [
          join(ROOT, 'bin', 'classedge-district.js'),
          'appliances',
          '--database',
          pgsql.url,
        ]);
        assert.equal(cli.code, 0, cli.err);
        assert.match(
          cli.out,
          new RegExp(`room-hb\\t-\\tonline\\theartbeat \\S+\\tversion ${VERSION.replace(/\./g, '\\.')}`),
        );
      } finally {
        await t.stop();
      }
      // Silence: 16 minutes later (the district's clock) it is offline with the default of 15.
      const later = await district.receiver.fleet.fleet(new Date(Date.now() + 16 * 60_000), 15 * 60_000);
      assert.equal(later.find((r) => r.id === 'room-hb')?.online, false);
      const cli = await run(process.execPath, [
        join(ROOT, 'bin', 'classedge-district.js'),
        'appliances',
        '--database',
        pgsql.url,
        '--offline-after-minutes',
        '0.001',
      ]);
      assert.match(cli.out, /room-hb\t-\tOFFLINE/);
      const bad = await run(process.execPath, [
        join(ROOT, 'bin', 'classedge-district.js'),
        'appliances',
        '--database',
        pgsql.url,
        '--offline-after-minutes',
        'x',
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /--offline-after-minutes: expected a number of minutes > 0, got 'x'/);
    } finally {
      await district.stop();
      dir.cleanup();
    }
  },
);

test(
  'hostile heartbeats are refused by field, signature or size; what was stored stays; the receiver keeps serving',
  { timeout: 60_000 },
  async () => {
    const district = await startDistrict(pgsql);
    const dir = tempDir('classedge-heartbeat-hostile-');
    try {
      await enrolDataDir(district.receiver, district.url, dir.path, 'room-hostile');
      const key = applianceKey(dir.path).privateKey;
      const signed = (s: unknown, id = 'room-hostile', signedStatus = s): Record<string, unknown> => {
        const nonce = `n${Math.random()}`;
        const text = requestSigningString(
          REQUEST_KINDS.heartbeat,
          id,
          nonce,
          heartbeatSigningExtra(signedStatus as HeartbeatStatus),
        );
        return { applianceId: id, nonce, signature: signText(text, key), status: s };
      };
      const post = async (
        body: string | Record<string, unknown>,
      ): Promise<{ status: number; json: Record<string, unknown> }> => {
        const r = await fetch(`${district.url}/v1/heartbeat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: r.status, json: (await r.json()) as Record<string, unknown> };
      };
      const good = await post(signed(status()));
      assert.equal(good.status, 200, JSON.stringify(good.json));
      const stored = async (): Promise<unknown> =>
        (await district.receiver.pool.query("SELECT status FROM appliance_status WHERE appliance_id = 'room-hostile'"))
          .rows[0]?.status;
      const before = await stored();
      assert.equal((before as HeartbeatStatus).version, '1.2.3');

      const cases: [string, string | Record<string, unknown>, number, RegExp][] = [
        ['garbage', '{"applianceId": ', 400, /./],
        ['not an object', '[1,2,3]', 400, /expected a JSON object body/],
        [
          'no status',
          { applianceId: 'room-hostile', nonce: 'x', signature: 'y' },
          400,
          /\/status: expected a JSON object, missing/,
        ],
        [
          'negative disk',
          signed(status({ disk: { freeBytes: -1, totalBytes: 5 } })),
          400,
          /\/status\/disk\/freeBytes: expected a whole number >= 0, got -1/,
        ],
        [
          'a state too long',
          signed(status({ components: [{ name: 'x', kind: 'y', state: 'z'.repeat(41) }] })),
          400,
          /\/status\/components\/0\/state: expected a component state/,
        ],
        [
          '201 components',
          signed(
            status({
              components: Array.from({ length: 201 }, (_, i) => ({ name: `c${i}`, kind: 'k', state: 'running' })),
            }),
          ),
          400,
          /\/status\/components: expected a list of at most 200 components/,
        ],
        [
          'a version not a string',
          signed({ ...status(), version: 7 }),
          400,
          /\/status\/version: expected a string of 1-200 characters, got 7/,
        ],
        [
          'status changed after signing',
          signed(status({ version: '6.6.6' }), 'room-hostile', status()),
          401,
          /heartbeat-v1 signature does not verify/,
        ],
        ['unknown appliance', signed(status(), 'room-nobody'), 401, /appliance 'room-nobody' is not enrolled/],
        [
          'a NUL in a detail',
          signed(status({ components: [{ name: 'x', kind: 'y', state: 'failed', detail: 'a\u0000b' }] })),
          400,
          /^\/status\/components\/0\/detail: expected text without the NUL character/,
        ],
        [
          'a NUL in a stream name',
          signed(status({ streams: { 'r\u0000': { backlog: 0, lagS: 0, quarantined: 0 } } })),
          400,
          /^\/status\/streams\/r.: expected text without the NUL/,
        ],
        [
          'a time past the year 9999',
          signed(status({ sentAt: Number.MAX_SAFE_INTEGER })),
          400,
          /\/status\/sentAt: expected a time in ms before the year 10000/,
        ],
        ['over 64 kB', signed(status({ version: 'v'.repeat(70_000) })), 413, /./],
      ];
      for (const [what, body, code, message] of cases) {
        const r = await post(body);
        assert.equal(r.status, code, `${what}: ${JSON.stringify(r.json)}`);
        assert.match(String(r.json.message), message, what);
      }
      // The same for every JSON route that stores text: enrolment, configuration applied, restored.
      const enrol = await fetch(`${district.url}/v1/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 't\u0000', applianceId: 'room-x', publicKey: '-----BEGIN PUBLIC KEY-----' }),
      });
      assert.equal(enrol.status, 400);
      assert.match(((await enrol.json()) as { message: string }).message, /^\/token: expected text without the NUL/);
      const applied = await fetch(`${district.url}/v1/config/applied`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          applianceId: 'room-hostile',
          nonce: 'n',
          signature: 's',
          version: 1,
          result: 'ok\u0000',
        }),
      });
      assert.equal(applied.status, 400);
      // Random bytes and random fields: never a 500, never a crash; a signed heartbeat that passes
      // is stored without the fields the district does not know.
      let last = before;
      for (let i = 0; i < 200; i++) {
        const fuzz = status() as unknown as Record<string, unknown>;
        const keys = Object.keys(fuzz);
        const k = keys[i % keys.length]!;
        const values: unknown[] = [null, -1, 1e308, 'x', [], {}, true, '\u0000', { a: { b: [1] } }];
        fuzz[k] = values[i % values.length];
        const r = await post(
          i % 3 === 0
            ? Buffer.from(Array.from({ length: 50 }, () => Math.floor(Math.random() * 256))).toString('latin1')
            : signed(fuzz),
        );
        assert.ok([200, 400, 401, 413].includes(r.status), `fuzz ${i} (${k}): ${r.status} ${JSON.stringify(r.json)}`);
        if (r.status === 200) last = Value.Clean(HeartbeatStatus, structuredClone(fuzz));
        assert.deepEqual(await stored(), last, `fuzz ${i} (${k}): ${r.status}`);
      }
      assert.equal((await fetch(`${district.url}/v1/health`)).status, 200);
    } finally {
      await district.stop();
      dir.cleanup();
    }
  },
);

test(
  'the history keeps a heartbeat an hour, and each change of version or component state; old ones go',
  { timeout: 60_000 },
  async () => {
    const district = await startDistrict(pgsql);
    try {
      await district.receiver.createToken('room-h');
      await district.receiver.pool.query(
        "INSERT INTO appliances (id, public_key) VALUES ('room-h', 'k') ON CONFLICT DO NOTHING",
      );
      const fleet = new FleetStore(district.receiver.pool);
      const t0 = Date.parse('2026-09-01T08:00:00Z');
      const at = (min: number): Date => new Date(t0 + min * 60_000);
      await fleet.putHeartbeat('room-h', status(), at(0), 90);
      await fleet.putHeartbeat('room-h', status({ uptimeS: 360 }), at(5), 90); // same shape: not kept
      await fleet.putHeartbeat(
        'room-h',
        status({ components: [{ name: 'sync', kind: 'sync-agent', state: 'failed' }] }),
        at(10),
        90,
      );
      await fleet.putHeartbeat(
        'room-h',
        status({ components: [{ name: 'sync', kind: 'sync-agent', state: 'failed' }] }),
        at(15),
        90,
      );
      await fleet.putHeartbeat(
        'room-h',
        status({ version: '1.2.4', components: [{ name: 'sync', kind: 'sync-agent', state: 'failed' }] }),
        at(20),
        90,
      );
      await fleet.putHeartbeat(
        'room-h',
        status({ version: '1.2.4', components: [{ name: 'sync', kind: 'sync-agent', state: 'failed' }] }),
        at(80),
        90,
      ); // an hour on
      const h = await fleet.history('room-h');
      assert.deepEqual(
        h.map((x) => (x.receivedAt.getTime() - t0) / 60_000),
        [80, 20, 10, 0],
      );
      // 91 days on, everything before is gone.
      await fleet.putHeartbeat('room-h', status(), at(91 * 24 * 60), 90);
      assert.deepEqual(
        (await fleet.history('room-h')).map((x) => (x.receivedAt.getTime() - t0) / 60_000),
        [91 * 24 * 60],
      );
    } finally {
      await district.stop();
    }
  },
);

test('the eMMC life estimate: the worse step of every card, none where no card reports one', () => {
  const dir = tempDir('classedge-mmc-');
  try {
    assert.equal(emmcLifeUsedPercent(join(dir.path, 'none')), undefined);
    mkdirSync(join(dir.path, 'mmc0:0001'));
    mkdirSync(join(dir.path, 'mmc1:0001'));
    mkdirSync(join(dir.path, 'mmc2:aaaa'));
    writeFileSync(join(dir.path, 'mmc0:0001', 'life_time'), '0x02 0x01\n');
    writeFileSync(join(dir.path, 'mmc1:0001', 'life_time'), '0x01 0x04\n');
    writeFileSync(join(dir.path, 'mmc2:aaaa', 'life_time'), 'garbage 0x00 0x0c\n');
    assert.equal(emmcLifeUsedPercent(dir.path), 40);
  } finally {
    dir.cleanup();
  }
});
