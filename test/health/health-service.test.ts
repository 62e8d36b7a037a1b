import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startTestAppliance,
  seedAccounts,
  seedDevice,
  ADMIN,
  TEACHER,
  type TestAppliance,
} from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { rosterCsv } from '../helpers/roster.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { takeReading, encodeReading } from '../../firmware-bridge/thermometer/gy-mcu906.js';
import type { LiveEvents } from '../../edge/messages.js';
import { withDbFile } from '../helpers/sqlite.js';

async function withRoster(
  yaml = '',
): Promise<{ t: TestAppliance; api: ApiClient; admin: ApiClient; students: { studentId: number; cardId: string }[] }> {
  const t = await startTestAppliance(
    `health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }\n${yaml}`,
  );
  await seedAccounts(t);
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const imp = await admin.post('/api/v1/health/roster', { csvBase64: Buffer.from(rosterCsv(30)).toString('base64') });
  assert.equal(imp.status, 200, JSON.stringify(imp.body));
  const api = new ApiClient(t.httpUrl);
  await api.loginTeacher(TEACHER.username, TEACHER.pin);
  const students = (await api.get('/api/v1/health/day')).body as { studentId: number; cardId: string }[];
  return { t, api, admin, students };
}

test('GY-MCU90614 frames: published layout and checksum; garbage, truncation and wrong checksums refused by byte', () => {
  const f = encodeReading({ objectC: 36.52, ambientC: 22.3 });
  assert.equal(f.toString('hex').slice(0, 8), '5a5a4504');
  assert.deepEqual(takeReading(f).reading, { objectC: 36.52, ambientC: 22.3 });
  const bad = Buffer.from(f);
  bad[8] = (bad[8] as number) ^ 1;
  assert.match(takeReading(bad).error ?? '', /byte 8: checksum/);
  assert.deepEqual(takeReading(f.subarray(0, 6)), { consumed: 0 });
  assert.match(takeReading(Buffer.from([1, 2, 3, ...f])).error ?? '', /skipped 3 bytes/);
  assert.match(takeReading(Buffer.from('5a5a46040e4008b6ff', 'hex')).error ?? '', /byte 2: frame type 46/);
  assert.deepEqual(takeReading(encodeReading({ objectC: -12.5, ambientC: -3 })).reading, {
    objectC: -12.5,
    ambientC: -3,
  });
});

test('thermometer over a socat pty: a reading, then bad checksum, truncated, silent and out-of-range, each refused with its reason', async () => {
  const dir = tempDir('classedge-ir-');
  const pty = await openPtyPair(dir.path);
  const sim = new ThermometerSim();
  await sim.listen(pty.b);
  const { t, api } = await withRoster(
    `components:\n  - { type: thermometer, name: door, port: ${JSON.stringify(join(dir.path, 'appliance'))}, timeoutMs: 400 }\n`,
  );
  try {
    sim.next = { objectC: 36.1, ambientC: 15 };
    const ok = await api.post('/api/v1/health/measure', {});
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual([ok.body.objectC, ok.body.ambientC, ok.body.compensatedC], [36.1, 15, 36.5]);
    assert.match(ok.body.method, /linear-ambient-v1/);
    for (const [fault, status, pattern] of [
      ['bad-checksum', 504, /checksum/],
      ['truncated', 504, /did not answer/],
      ['silent', 504, /did not answer/],
    ] as const) {
      sim.fault = fault;
      const r = await api.post('/api/v1/health/measure', {});
      assert.equal(r.status, status, `${fault}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, pattern);
    }
    sim.fault = undefined;
    sim.next = { objectC: 85, ambientC: 22 };
    const hot = await api.post('/api/v1/health/measure', {});
    assert.equal(hot.status, 400);
    assert.match(hot.body.issues[0].expected, /outside any human range/);
    sim.next = { objectC: 36.4, ambientC: 22 };
    assert.equal((await api.post('/api/v1/health/measure', {})).status, 200, 'recovers after faults');
  } finally {
    await t.stop();
    await sim.close();
    await pty.close();
    dir.cleanup();
  }
});

test('the check workflow: fever asks for a re-measure that confirms or clears it; corrections keep history; report and CSV match', async () => {
  const { t, api, admin, students } = await withRoster();
  try {
    const [s1, s2, s3, s4] = students as unknown as [
      { studentId: number },
      { studentId: number },
      { studentId: number },
      { studentId: number },
    ];
    const first = await api.post('/api/v1/health/checks', {
      studentId: s1.studentId,
      tempRawC: 37.6,
      ambientC: 24,
      symptoms: [],
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.result, 'fever-pending');
    const again = await api.post('/api/v1/health/checks', {
      studentId: s1.studentId,
      tempRawC: 37.7,
      ambientC: 24,
      symptoms: ['cough'],
    });
    assert.equal(again.body.result, 'fever-confirmed');
    assert.equal(again.body.remeasureOf, first.body.id);
    assert.equal(
      (await api.post('/api/v1/health/checks', { studentId: s2.studentId, tempRawC: 37.4, ambientC: 25, symptoms: [] }))
        .body.result,
      'fever-pending',
    );
    assert.equal(
      (await api.post('/api/v1/health/checks', { studentId: s2.studentId, tempRawC: 36.8, ambientC: 25, symptoms: [] }))
        .body.result,
      'fever-cleared',
    );
    const sym = await api.post('/api/v1/health/checks', {
      studentId: s3.studentId,
      tempRawC: 36.5,
      ambientC: 25,
      symptoms: ['rash'],
    });
    assert.equal(sym.body.result, 'symptoms');
    const fixed = await api.post(`/api/v1/health/checks/${sym.body.id}/corrections`, {
      reason: 'mosquito bites, not a rash',
      symptoms: [],
    });
    assert.equal(fixed.status, 201);
    assert.equal(fixed.body.corrects, sym.body.id);
    assert.equal(
      (await api.post(`/api/v1/health/checks/${sym.body.id}/corrections`, { reason: 'again', symptoms: [] })).status,
      409,
      'a superseded record is not corrected twice',
    );
    assert.equal(
      (
        await api.post('/api/v1/health/absences', {
          studentId: s4.studentId,
          reason: 'illness',
          symptoms: ['fever', 'cough'],
          onsetDay: '2026-11-21',
        })
      ).status,
      201,
    );
    assert.equal(
      (await api.post('/api/v1/health/checks', { studentId: s4.studentId, tempRawC: 55, symptoms: [] })).status,
      400,
    );
    const report = (await api.get('/api/v1/health/report')).body;
    assert.deepEqual(
      [
        report.enrolled,
        report.checked,
        report.fever.confirmed,
        report.fever.cleared,
        report.withSymptoms,
        report.absent.illness,
      ],
      [30, 3, 1, 1, 1, 1],
    );
    assert.deepEqual(report.symptoms, { cough: 1 });
    const csv = await fetch(`${t.httpUrl}/api/v1/health/report.csv`, { headers: { cookie: api.cookie ?? '' } });
    const text = await csv.text();
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.equal(text.split('\r\n').filter(Boolean).length, 31);
    assert.match(text, /fever-confirmed,37\.74,cough/, 'compensated: +0.04 C for an ambient 1 C below 25 C');
    const html = await (
      await fetch(`${t.httpUrl}/api/v1/health/report.html`, { headers: { cookie: api.cookie ?? '' } })
    ).text();
    assert.match(html, /发热（复测确认）<\/th><td>1</);
    // The printed report speaks the school's language: no code of the API in the Chinese one.
    const listed = html.slice(html.indexOf('<h2>'));
    assert.match(listed, /病假/);
    assert.match(listed, /发热、咳嗽/, 'the ill student is listed with symptoms in words');
    assert.doesNotMatch(html, /absent|fever|diarrh|illness|pending|cleared|confirmed|cough|normal|unchecked/i);
    const en = await (
      await fetch(`${t.httpUrl}/api/v1/health/report.html?lang=en`, { headers: { cookie: api.cookie ?? '' } })
    ).text();
    assert.match(en, /<html lang="en">/);
    assert.match(en, /Fever \(confirmed on re-measure\)<\/th><td>1</);
    assert.match(en, /<td>Illness<\/td>/);
    assert.doesNotMatch(en, /fever-confirmed|fever-pending|晨检|病假/);
    // The old record is still there, superseded, with who and why.
    const record = (await admin.get(`/api/v1/health/students/${s3.studentId}`)).body;
    assert.equal(record.checks.length, 2);
    assert.equal(record.checks[0].superseded_by, fixed.body.id);
    assert.equal(record.checks[1].correction_reason, 'mosquito bites, not a rash');
    assert.ok(
      t.appliance.store.audit.list({ limit: 5, action: 'health.read-student' }).length === 1,
      'the admin read is audited',
    );
    assert.equal(
      (await api.get(`/api/v1/health/students/${s3.studentId}`)).status,
      403,
      'teachers do not browse records',
    );
  } finally {
    await t.stop();
  }
});

test('three rash cases in a class on one day raise an outbreak signal once; a card tapped on an MQTT reader identifies the student', async () => {
  const { t, api, students } = await withRoster();
  const alerts: LiveEvents['health.alert'][] = [];
  const identified: LiveEvents['health.identified'][] = [];
  t.appliance.bus.on('health.alert', (e) => alerts.push(e));
  t.appliance.bus.on('health.identified', (e) => identified.push(e));
  try {
    for (const s of students.slice(0, 3))
      await api.post('/api/v1/health/checks', {
        studentId: s.studentId,
        tempRawC: 36.6,
        ambientC: 25,
        symptoms: ['rash'],
      });
    assert.equal(alerts.length, 1);
    assert.deepEqual([alerts[0]?.rule, alerts[0]?.category, alerts[0]?.cases], ['similar-3-in-1-day', 'rash', 3]);
    await api.post('/api/v1/health/checks', {
      studentId: students[3]?.studentId,
      tempRawC: 36.6,
      ambientC: 25,
      symptoms: [],
    });
    assert.equal(alerts.length, 1, 'raised once');
    const stored = withDbFile(t.dataDir, (db) =>
      db.prepare<[], { pseudonyms: string }>('SELECT pseudonyms FROM health_alerts').get(),
    );
    assert.ok(stored && !/王|李|张/.test(stored.pseudonyms), 'the alert carries pseudonyms, not names');
    const reader = await seedDevice(t, 'door-reader');
    const c = await connect(t.mqttUrl, { username: reader.username, password: reader.password });
    await c.publishAsync(
      'classedge/dev/door-reader/card',
      JSON.stringify({ card: students[5]?.cardId.toLowerCase() }),
      { qos: 1 },
    );
    await waitFor(() => identified[0], 'student identified by card');
    assert.equal(identified[0]?.studentId, students[5]?.studentId);
    await c.publishAsync('classedge/dev/door-reader/card', '{"card":"not-a-card"}', { qos: 1 });
    c.end(true);
  } finally {
    await t.stop();
  }
});

test('one cluster is one signal: a student ill at home yesterday who comes back with the same symptom does not raise it again', async () => {
  const { t, api, students } = await withRoster();
  const alerts: LiveEvents['health.alert'][] = [];
  t.appliance.bus.on('health.alert', (e) => alerts.push(e));
  try {
    const today = t.appliance.health.today();
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const [x, ...others] = students.slice(0, 5) as { studentId: number }[];
    const absent = await api.post('/api/v1/health/absences', {
      studentId: x!.studentId,
      day: yesterday,
      reason: 'illness',
      symptoms: ['diarrhoea'],
    });
    assert.equal(absent.status, 201, JSON.stringify(absent.body));
    const check = async (studentId: number): Promise<void> => {
      const r = await api.post('/api/v1/health/checks', { studentId, tempRawC: 36.5, symptoms: ['diarrhoea'] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    };
    // Four at the door today: three in a day, then five in three days with yesterday's absence.
    for (const s of others) await check(s.studentId);
    // The ill student is back, still with diarrhoea: the same cluster, from yesterday; not a new one from today.
    await check(x!.studentId);
    const rows = withDbFile(t.dataDir, (db) =>
      db
        .prepare<[], { id: number; rule: string; first_day: string; cases: number }>(
          'SELECT id, rule, first_day, cases FROM health_alerts ORDER BY id',
        )
        .all(),
    );
    assert.deepEqual(
      rows.map((r) => [r.rule, r.first_day, r.cases]),
      [
        ['similar-3-in-1-day', today, 5],
        ['similar-5-in-3-days', yesterday, 5],
      ],
    );
    assert.deepEqual(
      [...new Set(alerts.map((a) => a.id))],
      rows.map((r) => r.id),
      'the live events name these two signals only (a grown cluster is told again under its own id)',
    );
    assert.deepEqual(
      (await api.get('/api/v1/health/alerts')).body.map((a: { id: number }) => a.id).sort(),
      rows.map((r) => r.id).sort(),
    );
  } finally {
    await t.stop();
  }
});

test('已上报: a teacher marks a signal reported; who and when are stored, audited, told to every panel and kept open today', async () => {
  const { t, api, students } = await withRoster();
  const alerts: LiveEvents['health.alert'][] = [];
  t.appliance.bus.on('health.alert', (e) => alerts.push(e));
  try {
    for (const s of students.slice(0, 2))
      await api.post('/api/v1/health/checks', {
        studentId: s.studentId,
        tempRawC: 36.5,
        symptoms: ['hand-foot-mouth'],
      });
    const [signal] = (await api.get('/api/v1/health/alerts')).body as LiveEvents['health.alert'][];
    assert.ok(signal);
    assert.deepEqual([signal.rule, signal.reportedAt, signal.reportedBy], ['hfmd-2-in-7-days', null, null]);
    const before = Date.now();
    const r = await api.post(`/api/v1/health/alerts/${signal.id}/reported`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.reportedAt >= before);
    assert.equal(r.body.reportedBy, '李老师');
    assert.equal(r.body.reportedCases, 2);
    assert.equal(alerts.at(-1)?.reportedAt, r.body.reportedAt, 'every panel is told');
    const audit = t.appliance.store.audit.list({ limit: 5, action: 'health.alert-reported' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, `user:${TEACHER.username}`);
    assert.equal(audit[0]?.target, 'g2c3');
    assert.equal(audit[0]?.detail.signal, signal.id);
    // Still shown today (the banner says 已上报); a panel that reconnects gets it in its snapshot.
    assert.deepEqual(
      t.appliance.health.openAlerts().map((a) => [a.id, a.reportedAt]),
      [[signal.id, r.body.reportedAt]],
    );
    // The district hears when it was reported (not who: that stays in the audit log).
    const queued = withDbFile(t.dataDir, (db) =>
      db
        .prepare<[], { payload: string }>("SELECT payload FROM outbox WHERE stream = 'health-alerts' ORDER BY seq")
        .all()
        .map((x) => JSON.parse(x.payload) as Record<string, unknown>),
    );
    assert.deepEqual(
      queued.map((p) => [p.id, p.reportedAt ?? null]),
      [
        [signal.id, null],
        [signal.id, r.body.reportedAt],
      ],
    );
    assert.ok(!JSON.stringify(queued).includes(TEACHER.username));
    assert.equal((await api.post('/api/v1/health/alerts/99999/reported', {})).status, 404);
  } finally {
    await t.stop();
  }
});

test('a serial card reader: each line a card; noise and overlong lines are dropped, not crashed on', async () => {
  const dir = tempDir('classedge-card-');
  const pty = await openPtyPair(dir.path);
  const { t, students } = await withRoster(
    `components:\n  - { type: card-reader-serial, name: door-card, port: ${JSON.stringify(join(dir.path, 'appliance'))} }\n`,
  );
  const identified: LiveEvents['health.identified'][] = [];
  t.appliance.bus.on('health.identified', (e) => identified.push(e));
  const { openSerial, writeSerial, closeSerial } = await import('../../firmware-bridge/serial/serial-link.js');
  const port = await openSerial({ path: pty.b, baudRate: 9600, parity: 'none' });
  try {
    await writeSerial(
      port,
      Buffer.from(`hello there!\r\n${'F'.repeat(300)}\r\n${students[2]?.cardId.toLowerCase()}\r\n`),
      1000,
    );
    await waitFor(() => identified[0], 'card from the serial reader');
    assert.equal(identified[0]?.studentId, students[2]?.studentId);
    assert.equal(identified.length, 1);
    const counters = t.appliance.registry.get('door-card')?.status().counters;
    assert.deepEqual([counters?.cards, counters?.rejected], [1, 2]);
  } finally {
    await closeSerial(port);
    await t.stop();
    await pty.close();
    dir.cleanup();
  }
});

test('an absence for illness takes follow-up notes and the return day', async () => {
  const { t, api, students } = await withRoster();
  try {
    const a = await api.post('/api/v1/health/absences', {
      studentId: students[0]?.studentId,
      reason: 'illness',
      symptoms: ['fever'],
      onsetDay: '2026-11-21',
    });
    const f = await api.post(`/api/v1/health/absences/${a.body.id}/follow-up`, {
      note: '家长电话：已退热，明天返校',
      returnedDay: '2026-11-24',
    });
    assert.equal(f.status, 200);
    assert.equal(f.body.returnedDay, '2026-11-24');
    assert.equal(f.body.followUp[0].note, '家长电话：已退热，明天返校');
    assert.equal(f.body.followUp[0].by, `user:${TEACHER.username}`);
    assert.equal((await api.post('/api/v1/health/absences/9999/follow-up', { note: 'x' })).status, 404);
  } finally {
    await t.stop();
  }
});

test('a roster with bad rows changes nothing', async () => {
  const { t, admin } = await withRoster();
  try {
    const before = t.appliance.store.roster.count();
    const bad = `${rosterCsv(3, 'g2c3')}g2c3,二年级(3)班,BAD NO!,某,,\n`;
    const r = await admin.post('/api/v1/health/roster', { csvBase64: Buffer.from(bad).toString('base64') });
    assert.equal(r.status, 400);
    assert.deepEqual(
      r.body.issues.map((i: { path: string }) => i.path),
      ['line 5, student_no'],
    );
    assert.equal(t.appliance.store.roster.list().filter((s) => s.active).length, before);
  } finally {
    await t.stop();
  }
});
