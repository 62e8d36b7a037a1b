import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../edge/store/store.js';
import { auditCheck } from '../../edge/doctor/checks.js';
import { tempDir } from '../helpers/env.js';
import { withDbFile } from '../helpers/sqlite.js';

const DAY = 86_400_000;

function withStore(fn: (s: Store, dataDir: string) => void) {
  return () => {
    const dir = tempDir();
    const s = Store.open({
      dataDir: dir.path,
      store: { synchronous: 'FULL' },
    });
    try {
      fn(s, dir.path);
    } finally {
      s.close();
      dir.cleanup();
    }
  };
}

/** Five records (told apart by their target, a1..a5), the first two older than a year, as a box keeps them. */
function fiveRecords(s: Store, now: number): void {
  for (const [i, age] of [400, 390, 10, 5, 1].entries())
    s.audit.record({ actor: 'system', action: 'appliance.start', target: `a${i + 1}`, result: 'ok' }, now - age * DAY);
}

/** What someone with a SQLite shell does: drop the guard, delete rows. */
function deleteBehindTheAppliance(dataDir: string, where: string): void {
  withDbFile(
    dataDir,
    (db) => {
      db.exec('DROP TRIGGER IF EXISTS audit_no_young_delete');
      db.prepare(`DELETE FROM audit_log WHERE ${where}`).run();
    },
    { write: true },
  );
}

test(
  'audit chain: a record deleted from the middle is reported as a gap, and doctor fails',
  { timeout: 30_000 },
  withStore((s, dataDir) => {
    fiveRecords(s, Date.now());
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 5 });
    deleteBehindTheAppliance(dataDir, "target = 'a3'");
    const v = s.audit.verify();
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.problem === 'deleted' && /records 3\.\.3 are missing/.test(v.detail), JSON.stringify(v));
    const c = auditCheck(s);
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /deleted outside retention/);
  }),
);

test(
  'audit chain: deleting the oldest records without a purge record, or the newest, is reported',
  { timeout: 30_000 },
  withStore((s, dataDir) => {
    fiveRecords(s, Date.now());
    deleteBehindTheAppliance(dataDir, "target IN ('a4', 'a5')");
    const tail = s.audit.verify();
    assert.ok(!tail.ok && tail.problem === 'deleted', JSON.stringify(tail));
    assert.match(tail.ok ? '' : tail.detail, /newest records 4\.\.5 are missing/);
    // The same box, another day: the head stays where it was, so later records still show the gap.
    s.audit.record({ actor: 'system', action: 'appliance.start', target: 'a6', result: 'ok' });
    const mid = s.audit.verify();
    assert.ok(!mid.ok && /records 4\.\.5 are missing/.test(mid.detail), JSON.stringify(mid));
  }),
);

test(
  'audit chain: a start removed by hand is a gap; one removed by retention verifies through its purge record',
  { timeout: 30_000 },
  withStore((s, dataDir) => {
    const now = Date.now();
    fiveRecords(s, now);
    assert.equal(s.audit.prune(now - 365 * DAY, now), 2);
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 4 });
    const pruned = s.audit.list({ limit: 1, action: 'audit.pruned' })[0];
    assert.deepEqual(
      { throughSeq: pruned?.detail.throughSeq, deleted: pruned?.detail.deleted },
      { throughSeq: 2, deleted: 2 },
    );
    // Nothing more is due: a second run deletes nothing and adds no record.
    assert.equal(s.audit.prune(now - 365 * DAY, now), 0);
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 4 });
    // The same cut made by hand further on has no purge record.
    deleteBehindTheAppliance(dataDir, "target = 'a3'");
    const v = s.audit.verify();
    assert.ok(!v.ok && v.problem === 'deleted' && /before number 4/.test(v.detail), JSON.stringify(v));
    assert.equal(auditCheck(s).status, 'fail');
  }),
);

test(
  'audit chain: retention removes only a start of the chain; a record stamped by a clock set back stays, with all after it',
  { timeout: 30_000 },
  withStore((s) => {
    const now = Date.now();
    s.audit.record({ actor: 'system', action: 'appliance.start', target: 'old-1', result: 'ok' }, now - 400 * DAY);
    s.audit.record({ actor: 'system', action: 'appliance.start', target: 'recent', result: 'ok' }, now - 2 * DAY);
    // The clock was set back two years for this one: by its stamp it is due, by its place it is not.
    s.audit.record(
      { actor: 'system', action: 'appliance.start', target: 'stamped-back', result: 'ok' },
      now - 730 * DAY,
    );
    assert.equal(s.audit.prune(now - 365 * DAY, now), 1);
    assert.deepEqual(
      s.audit
        .list({ limit: 10 })
        .map((r) => r.target || r.action)
        .reverse(),
      ['recent', 'stamped-back', 'audit.pruned'],
    );
    assert.deepEqual(s.audit.verify(), { ok: true, rows: 3 });
  }),
);
