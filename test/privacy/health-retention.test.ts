import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../edge/store/store.js';
import { enforceRetention } from '../../edge/store/retention.js';
import { parseConfig } from '../../edge/config/load.js';
import { importRoster, parseRoster } from '../../edge/health/roster.js';
import { tempDir } from '../helpers/env.js';
import { rosterCsv, withConsent } from '../helpers/roster.js';
import { withDbFile } from '../helpers/sqlite.js';

const DAY = 86_400_000;

/** Every file under `dir`, with its bytes. */
function files(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/** The files under `dir` holding `marker` (as UTF-8 bytes), anywhere in them. */
const holding = (dir: string, marker: string): string[] =>
  files(dir)
    .filter((f) => f.bytes.includes(Buffer.from(marker)))
    .map((f) => f.path);

/**
 * A box with health records older than healthDays: checks (a correction among them), an absence and an
 * outbreak signal, each also queued in the outbox for a district that never confirms, plus diagnostic
 * captures on disk. `fresh` records of today stay as the control that the scan does find what is there.
 */
function seed(s: Store, dataDir: string, now: number): { oldDay: string; freshDay: string } {
  importRoster(s, parseRoster(Buffer.from(withConsent(rosterCsv(3)))).rows);
  const oldAt = now - 40 * DAY;
  const oldDay = new Date(oldAt).toISOString().slice(0, 10);
  const freshDay = new Date(now).toISOString().slice(0, 10);
  const check = (studentId: number, at: number, day: string, notes: string): number =>
    s.health.insertCheck({
      studentId,
      day,
      checkedAt: at,
      tempRawC: 37.9,
      ambientC: 20,
      tempC: 38.1,
      compensation: 'offset',
      symptoms: ['cough'],
      notes,
      result: 'symptoms',
      remeasureOf: null,
      recordedBy: 'teacher:li',
      corrects: null,
      correctionReason: null,
    });
  const first = check(1, oldAt, oldDay, 'OLD-NOTE-1');
  s.transaction(() => {
    const fix = check(1, oldAt + 60_000, oldDay, 'OLD-NOTE-2');
    s.health.markSuperseded(first, fix);
  });
  check(2, oldAt, oldDay, 'OLD-NOTE-3');
  s.health.upsertAbsence({
    studentId: 3,
    day: oldDay,
    reason: 'illness',
    symptoms: ['fever'],
    onsetDay: oldDay,
    recordedBy: 'teacher:li',
    recordedAt: oldAt,
  });
  s.health.raiseAlert(
    {
      classId: 'g2c3',
      rule: 'similar-3-in-1-day',
      category: 'fever',
      firstDay: oldDay,
      lastDay: oldDay,
      cases: 2,
      pseudonyms: ['Pold-case-1', 'Pold-case-2'],
    },
    oldAt,
  );
  check(2, now - 60_000, freshDay, 'FRESH-NOTE');
  const capture = (name: string, ended: number | undefined, marker: string): void => {
    const dir = join(dataDir, 'diagnostic', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cam-1.json'), JSON.stringify({ marker }));
    if (ended !== undefined) writeFileSync(join(dir, 'ended'), String(ended));
  };
  const iso = (t: number): string => new Date(t).toISOString().replace(/[:.]/g, '-');
  capture(iso(now - 3 * DAY), now - 3 * DAY + 600_000, 'OLD-CAPTURE-ENDED');
  // The process died while it ran: no end written.
  capture(iso(now - 2 * DAY), undefined, 'OLD-CAPTURE-CRASHED');
  capture(iso(now - 3_600_000), now - 3_000_000, 'FRESH-CAPTURE');
  return { oldDay, freshDay };
}

for (const enrolled of [false, true]) {
  test(
    `${enrolled ? 'enrolled' : 'unenrolled'} box: after the retention job no health record older than healthDays is anywhere in the data directory`,
    { timeout: 60_000 },
    () => {
      const dir = tempDir('classedge-retention-');
      const config = parseConfig(
        `dataDir: ${JSON.stringify(dir.path)}\nretention: { healthDays: 30 }\nanalysis: { diagnosticCapture: { keepHours: 24, maxMinutes: 10 } }\n`,
        join(dir.path, 'config.yaml'),
      );
      const s = Store.open(config);
      try {
        const now = Date.now();
        if (enrolled) s.meta.set('enrolled', 'https://district.example');
        const { oldDay, freshDay } = seed(s, dir.path, now);
        const queued = withDbFile(dir.path, (db) =>
          db.prepare<[], { stream: string; seq: number }>('SELECT stream, seq FROM outbox ORDER BY stream, seq').all(),
        );
        assert.ok(queued.length >= 6, 'the old records were queued for the district');
        // Before the job, the scan finds the old records (so its silence afterwards means something).
        assert.ok(holding(dir.path, 'OLD-NOTE-1').length > 0);
        assert.ok(holding(dir.path, oldDay).length > 0);

        const deleted = enforceRetention(s, config, now);

        // The appliance keeps running (the store stays open): nothing old in the database, its
        // write-ahead log, the outbox payloads, nor any other file.
        for (const marker of [
          'OLD-NOTE-1',
          'OLD-NOTE-2',
          'OLD-NOTE-3',
          oldDay,
          'Pold-case-1',
          'OLD-CAPTURE-ENDED',
          'OLD-CAPTURE-CRASHED',
        ])
          assert.deepEqual(holding(dir.path, marker), [], `${marker} left on disk`);
        for (const marker of ['FRESH-NOTE', freshDay, 'FRESH-CAPTURE'])
          assert.ok(holding(dir.path, marker).length > 0, `${marker} (recent) must stay`);

        assert.equal(deleted['health-checks'], 3);
        assert.equal(deleted.absences, 1);
        assert.equal(deleted['health-alerts'], 1);
        assert.equal(deleted['diagnostic-captures'], 2);
        // The stream keeps its numbering: withdrawn records stay, holding only why.
        const after = withDbFile(dir.path, (db) =>
          db
            .prepare<[], { stream: string; seq: number; payload: string }>(
              'SELECT stream, seq, payload FROM outbox ORDER BY stream, seq',
            )
            .all(),
        );
        assert.deepEqual(
          after.map((r) => [r.stream, r.seq]),
          queued.map((r) => [r.stream, r.seq]),
        );
        const withdrawn = after.filter((r) => r.payload === '{"withdrawn":"expired"}');
        assert.equal(withdrawn.length, after.length - 1, 'all but the fresh check withdrawn');
        const audit = withDbFile(dir.path, (db) =>
          db
            .prepare<[], { detail: string }>("SELECT detail FROM audit_log WHERE action = 'retention.outbox-withdrawn'")
            .all(),
        );
        assert.equal(audit.length, 1);
        const detail = JSON.parse(audit[0]?.detail ?? '{}') as { streams: Record<string, number>; enrolled: boolean };
        assert.equal(detail.enrolled, enrolled);
        assert.deepEqual(detail.streams, { 'health-checks': 4, absences: 1, 'health-alerts': 1 });

        // A second run finds nothing more to do and audits nothing more.
        const again = enforceRetention(s, config, now);
        assert.equal(again['outbox:health-checks'], 0);
      } finally {
        s.close();
        dir.cleanup();
      }
    },
  );
}
