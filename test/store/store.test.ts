import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../edge/store/store.js';
import { migrate, schemaVersion, openDb } from '../../edge/store/db.js';
import { migrations } from '../../edge/store/migrations.js';
import { enforceRetention } from '../../edge/store/retention.js';
import { parseConfig } from '../../edge/config/load.js';
import { ClassEdgeError } from '../../edge/errors.js';
import { tempDir, thrown } from '../helpers/env.js';
import { startTestAppliance, seedDevice } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { withDbFile } from '../helpers/sqlite.js';

const DAY = 86_400_000;

function withStore(fn: (s: Store, dataDir: string) => void | Promise<void>) {
  return async () => {
    const dir = tempDir();
    const s = Store.open({
      dataDir: dir.path,
      store: { synchronous: 'FULL' },
    });
    try {
      await fn(s, dir.path);
    } finally {
      s.close();
      dir.cleanup();
    }
  };
}

test(
  'migrations run once, in WAL mode, and a newer schema than the software is refused',
  withStore((s, dataDir) => {
    assert.equal(s.schemaVersion(), migrations.at(-1)?.version);
    // A second connection, as the CLI opens one while the appliance runs.
    const db = openDb({ dataDir, synchronous: 'FULL' });
    try {
      assert.equal(schemaVersion(db), migrations.at(-1)?.version);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(migrate(db), migrations.at(-1)?.version);
      db.pragma('user_version = 999');
      const err = thrown(() => openDb({ dataDir, synchronous: 'FULL' }));
      assert.ok(err instanceof ClassEdgeError && err.code === 'schema_too_new');
      db.pragma(`user_version = ${migrations.at(-1)?.version ?? 0}`);
    } finally {
      db.close();
    }
  }),
);

test(
  'the audit log is append-only and its hash chain exposes edits made behind the appliance',
  withStore((s, dataDir) => {
    s.audit.record({ actor: 'cli:root', action: 'device.add', target: 'a', result: 'ok' });
    s.audit.record({ actor: 'user:li', action: 'login.teacher', target: '127.0.0.1', result: 'denied' });
    s.audit.record({ actor: 'system', action: 'appliance.start', result: 'ok' });
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 3 });
    withDbFile(
      dataDir,
      (db) => {
        assert.throws(() => db.prepare("UPDATE audit_log SET result = 'ok' WHERE id = 2").run(), /append-only/);
        assert.throws(() => db.prepare('DELETE FROM audit_log WHERE id = 2').run(), /younger than 180 days/);
        // Someone with a SQLite shell drops the trigger and rewrites history: the chain shows it.
        db.exec('DROP TRIGGER audit_no_update');
        db.prepare("UPDATE audit_log SET result = 'ok' WHERE id = 2").run();
      },
      { write: true },
    );
    assert.deepEqual(s.audit.verify(), {
      ok: false,
      brokenAt: 2,
      problem: 'altered',
      detail: 'record 2 was altered',
    });
  }),
);

test(
  'store.transaction: the repository calls inside it commit together, or none does',
  withStore((s) => {
    const boom = thrown(() =>
      s.transaction(() => {
        s.meta.set('config-version', '7');
        s.outbox.recordError('readings', 'HTTP 503');
        throw new Error('the third step failed');
      }),
    );
    assert.match(String(boom), /the third step failed/);
    assert.equal(s.meta.get('config-version'), undefined);
    assert.deepEqual(s.outbox.states(), []);
    // A repository's own transaction inside one is a savepoint of it.
    const r = s.transaction(() => {
      s.meta.set('config-version', '7');
      return s.roster.apply([
        {
          classId: 'c1',
          className: 'One',
          studentNo: '1',
          name: 'A',
          pseudonym: 'P1',
          cardId: undefined,
          guardianPhone: undefined,
        },
      ]);
    });
    assert.deepEqual(r, { classes: 1, students: 1, deactivated: 0 });
    assert.equal(s.meta.get('config-version'), '7');
    assert.equal(s.roster.count(), 1);
    assert.throws(() => s.transaction(() => Promise.resolve(1)), /promise/i);
  }),
);

test(
  'retention deletes what each data class says is due, and nothing else',
  withStore((s, dataDir) => {
    const config = parseConfig(`dataDir: ${dataDir}\nretention: { readingsDays: 30, auditDays: 200 }`, 't');
    const now = Date.now();
    s.readings.insertMany([
      { deviceId: 'd', metric: 'co2_ppm', value: 500, ts: now - 31 * DAY, receivedAt: now },
      { deviceId: 'd', metric: 'co2_ppm', value: 600, ts: now - 29 * DAY, receivedAt: now },
    ]);
    s.audit.record({ actor: 'system', action: 'appliance.start', target: 'old', result: 'ok' }, now - 201 * DAY);
    s.audit.record({ actor: 'system', action: 'appliance.start', target: 'recent', result: 'ok' }, now - 10 * DAY);
    const deleted = enforceRetention(s, config, now);
    assert.equal(deleted.readings, 1);
    assert.equal(deleted['audit-log'], 1);
    assert.deepEqual(
      s.readings.query({ limit: 10 }).map((r) => r.value),
      [600],
    );
    // The purge leaves its record, which lets the chain that now starts at record 2 verify.
    assert.deepEqual(
      s.audit.list({ limit: 10 }).map((a) => a.target || a.action),
      ['audit.pruned', 'recent'],
    );
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 2 });
  }),
);

test('a reading the database refuses is kept in the journal, reported, and stored once the database takes it', async () => {
  const t = await startTestAppliance();
  try {
    const creds = await seedDevice(t, 'flaky');
    // Stand-in for a failing database: it refuses this one row.
    withDbFile(
      t.dataDir,
      (db) =>
        db.exec(
          "CREATE TRIGGER refuse_4242 BEFORE INSERT ON readings WHEN NEW.value = 4242 BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
        ),
      { write: true },
    );
    const c = await connect(t.mqttUrl, { username: creds.username, password: creds.password });
    // Acknowledged: the journal holds it durably whatever SQLite does later.
    await c.publishAsync('classedge/dev/flaky/reading', '{"metrics":{"co2_ppm":4242}}', { qos: 1 });
    assert.throws(() => t.appliance.readings.apply(), /disk I\/O error/);
    assert.equal(t.appliance.readings.pendingRows, 1, 'kept for the next apply');
    assert.equal(t.appliance.store.readings.query({ deviceId: 'flaky', limit: 5 }).length, 0);
    withDbFile(t.dataDir, (db) => db.exec('DROP TRIGGER refuse_4242'), { write: true });
    t.appliance.readings.apply();
    const rows = t.appliance.store.readings.query({ deviceId: 'flaky', limit: 5 });
    assert.deepEqual(
      rows.map((r) => r.value),
      [4242],
    );
    c.end(true);
  } finally {
    await t.stop();
  }
});
