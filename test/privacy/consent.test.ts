import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Store } from '../../edge/store/store.js';
import { parseConfig } from '../../edge/config/load.js';
import { importRoster, parseRoster } from '../../edge/health/roster.js';
import { HealthService } from '../../edge/health/service.js';
import { TypedEmitter } from '../../edge/runtime/component.js';
import type { LiveEvents } from '../../edge/messages.js';
import { createLogger } from '../../edge/log.js';
import { ValidationError } from '../../edge/errors.js';
import { CLI, tempDir, thrown } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { withDbFile } from '../helpers/sqlite.js';

const HEADER = 'class_id,class_name,student_no,name,card_id,guardian_phone';
const row = (no: string, name: string) => `g2c3,二年级(3)班,${no},${name},,`;

/** What waits in the outbox for the district: stream and pseudonym (or why it was withdrawn). */
const queued = (dataDir: string): string[] =>
  withDbFile(dataDir, (db) =>
    db
      .prepare<[], { stream: string; who: string }>(
        "SELECT stream, coalesce(json_extract(payload, '$.pseudonym'), json_extract(payload, '$.withdrawn')) AS who FROM outbox WHERE stream IN ('health-checks', 'absences') ORDER BY stream, seq",
      )
      .all()
      .map((r) => `${r.stream} ${r.who}`),
  );

test(
  "the consent register: only a consenting guardian's child's checks and absences are queued for the district",
  { timeout: 60_000 },
  async () => {
    const dir = tempDir('classedge-consent-');
    const file = join(dir.path, 'config.yaml');
    writeFileSync(file, `dataDir: ${JSON.stringify(dir.path)}\n`);
    const config = parseConfig(`dataDir: ${JSON.stringify(dir.path)}\n`, file);
    const s = Store.open(config);
    const health = new HealthService({
      config,
      store: s,
      bus: new TypedEmitter<LiveEvents>(),
      log: createLogger({ level: 'silent' }),
    });
    try {
      // A roster from before the column: nobody's consent is known, so nothing of theirs is queued.
      importRoster(
        s,
        parseRoster(
          Buffer.from(
            `${HEADER}\n${row('2026001', '王小明')}\n${row('2026002', '李小红')}\n${row('2026003', '张子涵')}\n`,
          ),
        ).rows,
      );
      const [a, b, c] = [1, 2, 3].map((id) => s.roster.student(id));
      assert.ok(a && b && c);
      health.recordCheck({ studentId: a.id, tempRawC: 36.4, ambientC: 20, symptoms: [] }, 'teacher:li');
      assert.deepEqual(queued(dir.path), []);
      assert.equal(s.consent.get(a.id).status, 'unknown');
      // The check itself is kept on the appliance: the school's own duty.
      assert.equal(s.health.checksOf(a.id).length, 1);

      // The roster's column: yes, no and blank (blank leaves the register as it is).
      const withColumn = (a1: string, b1: string, c1: string) =>
        `${HEADER},guardian_consent\n${row('2026001', '王小明')},${a1}\n${row('2026002', '李小红')},${b1}\n${row('2026003', '张子涵')},${c1}\n`;
      const r = importRoster(s, parseRoster(Buffer.from(withColumn('是', 'no', ''))).rows, 'cli:it');
      assert.equal(r.consents, 2);
      assert.deepEqual(
        [a, b, c].map((x) => s.consent.get(x.id).status),
        ['given', 'refused', 'unknown'],
      );
      for (const x of [a, b, c])
        health.recordAbsence({ studentId: x.id, reason: 'illness', symptoms: ['fever'] }, 'teacher:li');
      assert.deepEqual(queued(dir.path), [`absences ${a.pseudonym}`]);

      // The school records a withdrawal (the CLI, as IT staff would): it holds back A's queued copy,
      // later records of A stay on the box, and an older district export saying yes does not undo it.
      const withdraw = await run(process.execPath, [
        CLI,
        'student',
        'consent',
        '2026001',
        'withdrawn',
        '--config',
        file,
        '--json',
      ]);
      assert.equal(withdraw.code, 0, withdraw.err);
      assert.equal((JSON.parse(withdraw.out) as { status: string; source: string }).source, 'school');
      assert.deepEqual(queued(dir.path), ['absences no-consent']);
      importRoster(s, parseRoster(Buffer.from(withColumn('yes', 'yes', 'yes'))).rows);
      assert.deepEqual(
        [a, b, c].map((x) => s.consent.get(x.id).status),
        ['withdrawn', 'given', 'given'],
      );
      health.recordCheck({ studentId: a.id, tempRawC: 36.5, ambientC: 20, symptoms: [] }, 'teacher:li');
      health.recordCheck({ studentId: b.id, tempRawC: 36.5, ambientC: 20, symptoms: [] }, 'teacher:li');
      assert.deepEqual(queued(dir.path), ['absences no-consent', `health-checks ${b.pseudonym}`]);
      const audit = withDbFile(dir.path, (db) =>
        db
          .prepare<[], { target: string; detail: string }>(
            "SELECT target, detail FROM audit_log WHERE action = 'student.consent'",
          )
          .all(),
      );
      assert.deepEqual(audit, [{ target: a.pseudonym, detail: JSON.stringify({ status: 'withdrawn', withdrawn: 1 }) }]);

      // Hostile input names the line, the column and what was expected.
      const bad = thrown(() => parseRoster(Buffer.from(withColumn('maybe', 'yes', 'yes'))));
      assert.ok(bad instanceof ValidationError);
      assert.match(bad.message, /line 2, guardian_consent.*yes or no/);
      const wrong = await run(process.execPath, [CLI, 'student', 'consent', '2026001', 'perhaps', '--config', file]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /<status>.*given, refused, withdrawn/);
    } finally {
      s.close();
      dir.cleanup();
    }
  },
);
