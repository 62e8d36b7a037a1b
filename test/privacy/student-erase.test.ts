import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Store } from '../../edge/store/store.js';
import type { HealthAlert } from '../../edge/store/repos/health.js';
import { importRoster, parseRoster } from '../../edge/health/roster.js';
import { applianceKey } from '../../edge/sync/keys.js';
import { newKeyPair, privateKeyFrom, signText } from '../../edge/security/signing.js';
import { batchRequestHeaders, erasureSigningString } from '../../cloud-sync/protocol.js';
import { subjectOf } from '../../cloud-sync/server/erasure.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startDistrict, type TestDistrict } from '../helpers/district.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { rosterCsv, withConsent } from '../helpers/roster.js';
import { run } from '../helpers/run.js';
import { withDbFile } from '../helpers/sqlite.js';

const ID = 'room-505';
const YAML = `appliance: { id: ${ID} }\nsync: { intervalMs: 200, retryMaxMs: 1000, timeoutMs: 5000, allowPlainHttp: true }`;
// rosterCsv(3): 2026001 王小明 (card 4A10000) is erased; 2026002 李小明 and 2026003 张小明 stay.
const A = { no: '2026001', name: '王小明', card: '4A10000' };

function check(s: Store, studentId: number, notes: string): number {
  return s.health.insertCheck({
    studentId,
    day: new Date().toISOString().slice(0, 10),
    checkedAt: Date.now(),
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
}

function alert(s: Store, category: HealthAlert['category'], pseudonyms: string[]): void {
  const day = new Date().toISOString().slice(0, 10);
  s.health.raiseAlert(
    {
      classId: 'g2c3',
      rule: 'similar-3-in-1-day',
      category,
      firstDay: day,
      lastDay: day,
      cases: pseudonyms.length,
      pseudonyms,
    },
    Date.now(),
  );
}

/** Every file under `dir` holding `marker` (UTF-8 bytes). */
function filesHolding(dir: string, marker: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesHolding(path, marker);
    return readFileSync(path).includes(Buffer.from(marker)) ? [path] : [];
  });
}

/** Every row of every table of the box's database that mentions one of `needles`, as `table: row`. */
function rowsMentioning(dataDir: string, needles: string[]): string[] {
  return withDbFile(dataDir, (db) =>
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .flatMap(({ name }) =>
        db
          .prepare<[], Record<string, unknown>>(`SELECT * FROM "${name}"`)
          .all()
          .map((row) => `${name}: ${JSON.stringify(row)}`)
          .filter((text) => needles.some((n) => text.includes(n))),
      ),
  );
}

async function drained(t: TestAppliance): Promise<void> {
  t.appliance.sync.kick();
  await waitFor(
    () => (t.appliance.sync.streams().every((s) => s.backlog === 0) ? true : undefined),
    'every stream drained',
    30_000,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}: ${JSON.stringify(t.appliance.sync.streams())}`);
  });
}

async function postBatch(
  d: TestDistrict,
  dataDir: string,
  stream: string,
  first: number,
  payloads: unknown[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const today = new Date().toISOString().slice(0, 10);
  const body = gzipSync(
    payloads.map((payload, i) => JSON.stringify({ seq: first + i, day: today, payload })).join('\n'),
  );
  const h = { appliance: ID, batch: randomUUID(), stream, first, last: first + payloads.length - 1 };
  const res = await fetch(`${d.url}/v1/batches`, {
    method: 'POST',
    headers: batchRequestHeaders(h, body, applianceKey(dataDir).privateKey),
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test(
  '`student erase` leaves no row of the student on the box, and the district removes theirs too',
  { timeout: 180_000 },
  async () => {
    const district = await startDistrict();
    const dir = tempDir('classedge-erase-');
    let t: TestAppliance | undefined;
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--config', join(dir.path, 'config.yaml')]);
    const districtRows = async (sql: string, args: unknown[] = []): Promise<Record<string, unknown>[]> =>
      (await district.receiver.pool.query(sql, args)).rows as Record<string, unknown>[];
    try {
      t = await startTestAppliance(YAML, { keepDir: dir.path });
      await t.stop();
      const tokenFile = join(dir.path, 'token');
      writeFileSync(tokenFile, await district.receiver.createToken(ID));
      const enrol = await cli('enrol', '--district', district.url, '--token-file', tokenFile);
      assert.equal(enrol.code, 0, enrol.err);

      // Checks, a correction, an absence and an outbreak signal of the class, all at the district.
      t = await startTestAppliance(YAML, { keepDir: dir.path });
      const s = t.appliance.store;
      // Every guardian consented: the checks and absences go to the district (and so must be erased there).
      importRoster(s, parseRoster(Buffer.from(withConsent(rosterCsv(3)))).rows);
      const a = s.subject.byStudentNo(A.no);
      const b = s.subject.byStudentNo('2026002');
      assert.ok(a && b);
      const first = check(s, a.id, 'A-NOTE-1');
      s.transaction(() => s.health.markSuperseded(first, check(s, a.id, 'A-NOTE-2')));
      check(s, b.id, 'B-NOTE');
      s.health.upsertAbsence({
        studentId: a.id,
        day: new Date().toISOString().slice(0, 10),
        reason: 'illness',
        symptoms: ['fever'],
        onsetDay: null,
        recordedBy: 'teacher:li',
        recordedAt: Date.now(),
      });
      alert(s, 'influenza-like', [a.pseudonym, b.pseudonym]);
      await drained(t);
      const ofA = "SELECT stream, payload FROM records WHERE appliance_id = $1 AND payload::text LIKE '%' || $2 || '%'";
      assert.equal((await districtRows(ofA, [ID, a.pseudonym])).length, 5, 'three checks, an absence, a signal');
      const config = t.config;
      await t.stop();
      t = undefined;

      // More of A queued while the box is off: a check, and a signal naming A and C.
      const offline = Store.open(config);
      try {
        check(offline, a.id, 'A-NOTE-QUEUED');
        alert(offline, 'diarrhoea', [a.pseudonym, 'Pother-student']);
      } finally {
        offline.close();
      }

      // The export hands over everything stored of A, and is audited.
      const exported = await cli('student', 'export', A.no);
      assert.equal(exported.code, 0, exported.err);
      const data = JSON.parse(exported.out) as {
        student: { name: string; cardId: string };
        healthChecks: { notes: string }[];
        absences: unknown[];
        healthAlerts: unknown[];
        outbox: unknown[];
      };
      assert.equal(data.student.name, A.name);
      assert.equal(data.student.cardId, A.card);
      assert.deepEqual(
        data.healthChecks.map((c) => c.notes),
        ['A-NOTE-1', 'A-NOTE-2', 'A-NOTE-QUEUED'],
      );
      assert.equal(data.absences.length, 1);
      assert.equal(data.healthAlerts.length, 2);
      assert.equal(data.outbox.length, 2, 'the queued check and signal');

      // Erasure needs the confirmation flag, then runs whole.
      const unconfirmed = await cli('student', 'erase', A.no);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.err, /--yes/);
      const erased = await cli('student', 'erase', A.no, '--yes', '--reason', 'guardian request', '--json');
      assert.equal(erased.code, 0, erased.err);
      const r = JSON.parse(erased.out) as { pseudonym: string; counts: Record<string, number> };
      assert.equal(r.pseudonym, a.pseudonym);
      assert.deepEqual(r.counts, {
        healthChecks: 3,
        absences: 1,
        healthAlerts: 2,
        quarantined: 0,
        students: 1,
        outbox: 2,
      });

      // On the box: no row of A in any table (the audit log keeps the pseudonym, which the law keeps
      // six months and which names nobody once the roster row is gone), nothing of A in any file.
      // The erasure record waiting for the district names the pseudonym too, until the district has it.
      const needles = [A.name, A.no, A.card, 'A-NOTE', a.pseudonym];
      const left = rowsMentioning(dir.path, needles);
      assert.deepEqual(
        left.filter((row) => !row.startsWith('audit_log: ')).map((row) => row.slice(0, 40)),
        ['outbox: {"stream":"erasures","seq":1,"cr'],
      );
      assert.ok(left.every((row) => !row.includes(A.name) && !row.includes(A.no)));
      assert.ok(
        left.some((row) => row.includes('"action":"student.erase"')),
        'the erasure is audited',
      );
      assert.equal(
        withDbFile(dir.path, (db) =>
          db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM health_checks WHERE student_id = ?').get(a.id),
        )?.n,
        0,
      );
      for (const marker of [A.name, 'A-NOTE-1', 'A-NOTE-QUEUED']) assert.deepEqual(filesHolding(dir.path, marker), []);
      const again = await cli('student', 'erase', A.no, '--yes');
      assert.equal(again.code, 2, 'nobody left to erase');

      // After a sync, the district holds nothing of A either; the others' records stay.
      t = await startTestAppliance(YAML, { keepDir: dir.path });
      await drained(t);
      assert.deepEqual(await districtRows(ofA, [ID, a.pseudonym]), []);
      assert.equal((await districtRows(ofA, [ID, b.pseudonym])).length, 2, "B's check and the signal");
      assert.deepEqual(
        rowsMentioning(dir.path, needles).filter((row) => !row.startsWith('audit_log: ')),
        [],
        'the erasure record left the box once the district confirmed it',
      );
      const signals = await districtRows(
        "SELECT payload->'pseudonyms' AS p FROM records WHERE appliance_id = $1 AND stream = 'health-alerts' ORDER BY seq",
        [ID],
      );
      assert.deepEqual(
        signals.map((x) => x.p),
        [[b.pseudonym], ['Pother-student']],
      );
      const erasures = await districtRows(
        "SELECT payload FROM records WHERE appliance_id = $1 AND stream = 'erasures'",
        [ID],
      );
      assert.equal(erasures.length, 1);
      assert.equal((erasures[0]?.payload as { subject: string }).subject, subjectOf(a.pseudonym));
      const withdrawn = await districtRows(
        'SELECT seq FROM records WHERE appliance_id = $1 AND stream = \'health-checks\' AND payload = \'{"withdrawn": "erased"}\'::jsonb',
        [ID],
      );
      assert.equal(withdrawn.length, 1, 'the check queued at the erasure went as a withdrawn record');
      const positions = Object.fromEntries(t.appliance.sync.streams().map((x) => [x.stream, x.confirmedSeq]));
      await t.stop();
      t = undefined;

      // A batch naming A that the network delayed past the erasure is stored withdrawn.
      const late = await postBatch(district, dir.path, 'health-checks', (positions['health-checks'] ?? 0) + 1, [
        { pseudonym: a.pseudonym, class: 'g2c3', day: '2026-12-01', result: 'normal' },
      ]);
      assert.equal(late.status, 200, JSON.stringify(late.body));
      assert.deepEqual(await districtRows(ofA, [ID, a.pseudonym]), []);

      // An erasure record not signed by the appliance's key is refused, and nothing is deleted.
      const forged = { pseudonym: b.pseudonym, erasedAt: Date.now() };
      const refused = await postBatch(district, dir.path, 'erasures', (positions.erasures ?? 0) + 1, [
        {
          ...forged,
          signature: signText(erasureSigningString(ID, forged), privateKeyFrom(newKeyPair().privateKeyPem)),
        },
      ]);
      assert.equal(refused.status, 401);
      assert.match(String(refused.body.message), /erasure line 1: the record's signature does not verify/);
      const malformed = await postBatch(district, dir.path, 'erasures', (positions.erasures ?? 0) + 1, [
        { pseudonym: 42, erasedAt: Date.now(), signature: 'x' },
      ]);
      assert.equal(malformed.status, 400);
      assert.match(String(malformed.body.message), /\/payload\/pseudonym: expected a student pseudonym/);
      assert.equal((await districtRows(ofA, [ID, b.pseudonym])).length, 2);
    } finally {
      await t?.stop();
      await district.stop();
      dir.cleanup();
    }
  },
);
