import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { startDistrict, type TestDistrict } from '../helpers/district.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';

let district: TestDistrict;
before(async () => {
  district = await startDistrict();
});
after(() => district.stop());

const CONFIG =
  'appliance: { id: room-501, classroom: { school: 实验小学 } }\nsync: { allowPlainHttp: true, intervalMs: 3600000 }\nanalysis: { enabled: false }';

async function position(stream: string): Promise<number> {
  const r = await district.receiver.pool.query<{ seq: string }>(
    "SELECT committed_seq AS seq FROM stream_state WHERE appliance_id = 'room-501' AND stream = $1",
    [stream],
  );
  return Number(r.rows[0]?.seq ?? 0);
}

function damage(file: string): void {
  const pages = Math.floor(statSync(file).size / 4096);
  const fd = openSync(file, 'r+');
  try {
    for (let p = Math.floor(pages / 2); p < Math.floor(pages / 2) + 4; p++)
      writeSync(fd, randomBytes(4096), 0, 4096, p * 4096);
  } finally {
    closeSync(fd);
  }
}

const reading = (value: number, ts: number) => ({ deviceId: 'co2-a', metric: 'co2_ppm', value, ts, receivedAt: ts });

test(
  'a fresh database after damage numbers its readings after what the district holds: nothing made after the damage is taken for a record the district already has',
  { timeout: 240_000 },
  async () => {
    const dir = tempDir('classedge-rebase-');
    let t: TestAppliance | undefined;
    try {
      t = await startTestAppliance(CONFIG, { keepDir: dir.path });
      await seedAccounts(t);
      await t.stop();
      const token = await district.receiver.createToken('room-501');
      const enrol = await run(process.execPath, [
        CLI,
        'enrol',
        '--district',
        district.url,
        '--token',
        token,
        '--config',
        join(dir.path, 'config.yaml'),
      ]);
      assert.equal(enrol.code, 0, enrol.err);
      t = await startTestAppliance(CONFIG, { keepDir: dir.path });
      const base = Date.now() - 3_600_000;
      t.appliance.store.readings.insertMany(
        Array.from({ length: 3000 }, (_, i) => reading(400 + (i % 300), base + i * 1000)),
      );
      t.appliance.sync.requestBulk();
      await waitFor(
        async () => ((await position('readings')) >= 3000 ? true : undefined),
        'the district holds 3000',
        60_000,
        100,
      );
      await t.stop();
      t = undefined;
      // Torn pages come with an unclean end (a power cut): no clean-stop mark, so the start checks the whole file.
      rmSync(join(dir.path, '.clean-stop'));
      damage(join(dir.path, 'classedge.db'));

      // The start's own path (Store.open with the check), then readings arrive before any sync round.
      const config = parseConfig(CONFIG + `\ndataDir: ${JSON.stringify(dir.path)}\n`, join(dir.path, 'config.yaml'));
      const fresh = Store.open(config, { checkIntegrity: true });
      try {
        assert.ok(fresh.integrity?.recovery, 'the damage was found');
        fresh.readings.insertMany(Array.from({ length: 10 }, (_, i) => reading(900 + i, Date.now() + i)));
        assert.equal(
          fresh.readings.maxId(),
          10,
          'a fresh database numbers from 1: these numbers are taken at the district',
        );
      } finally {
        fresh.close();
      }

      t = await startTestAppliance(CONFIG, { keepDir: dir.path });
      t.appliance.sync.requestBulk();
      await waitFor(
        async () => ((await position('readings')) >= 3010 ? true : undefined),
        'the new readings at the district',
        60_000,
        100,
      );
      const held = await district.receiver.pool.query<{ seq: string; value: string }>(
        "SELECT seq, payload->>'value' AS value FROM records WHERE appliance_id = 'room-501' AND stream = 'readings' AND seq > 3000 ORDER BY seq",
      );
      assert.deepEqual(
        held.rows.map((r) => [Number(r.seq), Number(r.value)]),
        Array.from({ length: 10 }, (_, i) => [3001 + i, 900 + i]),
      );
      assert.equal(t.appliance.store.streamRebase.pending(), false);
      assert.equal(t.appliance.store.audit.list({ limit: 1, action: 'sync.rebased' }).length, 1);
      // Later readings continue after them, as on any box.
      t.appliance.store.readings.insertMany([reading(777, Date.now())]);
      assert.equal(t.appliance.store.readings.maxId(), 3011);
    } finally {
      await t?.stop();
      dir.cleanup();
    }
  },
);
