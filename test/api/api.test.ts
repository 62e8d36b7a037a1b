import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startTestAppliance, seedAccounts, ADMIN, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/env.js';

let t: TestAppliance;
before(async () => {
  t = await startTestAppliance();
});
after(async () => t.stop());

test('first run: setup is required until an admin exists, then the setup route is closed', async () => {
  const api = new ApiClient(t.httpUrl);
  assert.equal((await api.get('/api/v1/session')).body.setupRequired, true);
  const weak = await api.post('/api/v1/setup/admin', { username: 'first', password: 'short' });
  assert.equal(weak.status, 400);
  assert.equal(weak.body.issues[0].path, '/password');
  const ok = await api.post('/api/v1/setup/admin', { username: 'first', password: 'First-Admin-2026' });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal(ok.body.role, 'admin');
  assert.equal((await api.get('/api/v1/session')).body.setupRequired, false);
  assert.equal(
    (await api.post('/api/v1/setup/admin', { username: 'second', password: 'Second-Admin-2026' })).status,
    409,
  );
  await seedAccounts(t);
});

test('health needs no login and reports version, uptime and every component', async () => {
  const r = await new ApiClient(t.httpUrl).get('/api/v1/health');
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
  assert.equal(typeof r.body.version, 'string');
  assert.equal(typeof r.body.uptimeS, 'number');
  assert.deepEqual(r.body.components.map((c: { name: string }) => c.name).sort(), [
    'analysis',
    'broker',
    'disk',
    'environment',
    'health',
    'history',
    'http',
    'mqtt-service',
    'retention',
    'sync',
  ]);
});

test('everything else needs a session; teachers get least privilege', async () => {
  const anon = new ApiClient(t.httpUrl);
  for (const p of [
    '/api/v1/readings',
    '/api/v1/devices',
    '/api/v1/users',
    '/api/v1/audit',
    '/api/v1/status',
    '/api/v1/config',
  ]) {
    assert.equal((await anon.get(p)).status, 401, p);
  }
  const teacher = new ApiClient(t.httpUrl);
  await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
  assert.equal((await teacher.get('/api/v1/readings/latest')).status, 200);
  assert.equal((await teacher.get('/api/v1/components')).status, 200);
  for (const p of ['/api/v1/devices', '/api/v1/users', '/api/v1/audit', '/api/v1/status', '/api/v1/config']) {
    assert.equal((await teacher.get(p)).status, 403, p);
  }
  assert.equal((await teacher.post('/api/v1/devices', { id: 'sneaky', kind: 'sensor' })).status, 403);
  // An admin password does not open the teacher login, nor a PIN the admin login.
  assert.equal(
    (await new ApiClient(t.httpUrl).post('/api/v1/session/teacher', { username: ADMIN.username, pin: ADMIN.password }))
      .status,
    401,
  );
});

test('state-changing requests need the CSRF token of the session', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const noToken = await admin.request(
    'POST',
    '/api/v1/devices',
    { id: 'csrf-test', kind: 'sensor' },
    { 'x-csrf-token': '' },
  );
  assert.equal(noToken.status, 403);
  assert.match(noToken.body.message, /CSRF/);
  assert.equal((await admin.post('/api/v1/devices', { id: 'csrf-test', kind: 'sensor' })).status, 201);
});

test('session cookie is HttpOnly and SameSite=Strict; responses carry a strict CSP', async () => {
  const r = await fetch(`${t.httpUrl}/api/v1/session/admin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
  });
  const cookie = r.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
});

test('a teacher PIN is locked after five wrong tries, even against the right PIN, and audited', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  assert.equal(
    (await admin.post('/api/v1/users', { username: 'zhao', displayName: '赵老师', role: 'teacher', secret: '739164' }))
      .status,
    201,
  );
  const panel = new ApiClient(t.httpUrl);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++)
    statuses.push((await panel.post('/api/v1/session/teacher', { username: 'zhao', pin: '000001' })).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 423]);
  const right = await panel.post('/api/v1/session/teacher', { username: 'zhao', pin: '739164' });
  assert.equal(right.status, 423);
  assert.ok(Number(right.headers.get('retry-after')) > 0);
  const audit = (await admin.get('/api/v1/audit?action=login.teacher&limit=20')).body as {
    result: string;
    actor: string;
  }[];
  assert.ok(audit.filter((a) => a.actor === 'user:zhao' && a.result === 'denied').length >= 6);
  // An admin resetting the PIN lifts the lock.
  assert.equal((await admin.put('/api/v1/users/zhao/secret', { secret: '528163' })).status, 200);
  await panel.loginTeacher('zhao', '528163');
});

test('weak PINs and passwords are refused with the rule they break', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  for (const [secret, role, rule] of [
    ['123456', 'teacher', /run/],
    ['111111', 'teacher', /repeated/],
    ['12345', 'teacher', /6 digits/],
    ['alllowercase', 'admin', /three of/],
  ] as const) {
    const r = await admin.post('/api/v1/users', { username: `weak-${role}`, role, secret });
    assert.equal(r.status, 400);
    assert.match(r.body.issues[0].expected, rule);
  }
});

test('bad request bodies get 400 naming every bad field', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const r = await admin.post('/api/v1/devices', { id: 7, kind: 'toaster', colour: 'red' });
  assert.equal(r.status, 400);
  const paths = (r.body.issues as { path: string }[]).map((i) => i.path).sort();
  assert.deepEqual(paths, ['/body/colour', '/body/id', '/body/kind']);
  const garbage = await admin.request('POST', '/api/v1/devices', '{"id": "x",', {});
  assert.equal(garbage.status, 400);
  const q = await admin.get('/api/v1/readings?limit=lots');
  assert.equal(q.status, 400);
  assert.equal(q.body.issues[0].path, '/query/limit');
});

test('admin adds a device; its password is shown once and works; the device can then publish', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const r = await admin.post('/api/v1/devices', { id: 'wifi-node-7', kind: 'sensor', description: 'back wall' });
  assert.equal(r.status, 201);
  assert.equal(r.body.mqtt.topicPrefix, 'classedge/dev/wifi-node-7/');
  const listed = (await admin.get('/api/v1/devices')).body as Record<string, unknown>[];
  assert.ok(!JSON.stringify(listed).includes(r.body.mqtt.password), 'the password is never listed again');
  const dev = await connect(t.mqttUrl, { username: r.body.mqtt.username, password: r.body.mqtt.password });
  await dev.publishAsync('classedge/dev/wifi-node-7/reading', '{"metrics":{"illuminance_lx":320}}', { qos: 1 });
  dev.end(true);
  const latest = (await admin.get('/api/v1/readings/latest')).body as { deviceId: string; value: number }[];
  assert.ok(latest.some((x) => x.deviceId === 'wifi-node-7' && x.value === 320));
});

function openLive(
  url: string,
  headers: Record<string, string>,
): Promise<{ ws: WebSocket; frames: { type: string; data: any }[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/api/v1/live', { headers });
    const frames: { type: string; data: any }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test("a lesson that starts while a teacher's panel is open is that teacher's (their trends), though an admin started it", async () => {
  const teacher = new ApiClient(t.httpUrl);
  await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const before = (await teacher.get('/api/v1/lessons/trends')).body.lessons.length as number;
  const { ws } = await openLive(t.httpUrl, {
    cookie: teacher.cookie ?? '',
    origin: `http://${new URL(t.httpUrl).host}`,
  });
  try {
    // The panel's live channel is open (as the timetable's bell would find it); an admin's own start
    // and end claim nothing.
    const started = await admin.post('/api/v1/lessons/start');
    assert.equal(started.status, 201);
    assert.equal((await admin.post('/api/v1/lessons/current/end')).status, 200);
    const mine = (await teacher.get('/api/v1/lessons/trends')).body.lessons as { id: number }[];
    assert.equal(mine.length, before + 1);
    assert.equal(mine.at(-1)!.id, started.body.id);
  } finally {
    ws.close();
  }
  // With no panel open (the server has seen the socket go), an admin's lesson is nobody's.
  await waitFor(
    () => (t.appliance.http.status().counters?.liveClients === 0 ? true : undefined),
    'the panel socket closed',
  );
  const alone = await admin.post('/api/v1/lessons/start');
  await admin.post('/api/v1/lessons/current/end');
  const after = (await teacher.get('/api/v1/lessons/trends')).body.lessons as { id: number }[];
  assert.ok(!after.some((l) => l.id === alone.body.id));
});

test('live WebSocket: refused without a session or from another origin; streams typed events after a publish', async () => {
  await assert.rejects(openLive(t.httpUrl, {}), /HTTP 401/);
  const teacher = new ApiClient(t.httpUrl);
  await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
  const cookie = teacher.cookie ?? '';
  await assert.rejects(openLive(t.httpUrl, { cookie, origin: 'http://evil.example' }), /HTTP 403/);
  const host = new URL(t.httpUrl).host;
  const { ws, frames } = await openLive(t.httpUrl, { cookie, origin: `http://${host}` });
  // The snapshot comes first: every component's state.
  await waitFor(
    () => frames.some((f) => f.type === 'component.state' && f.data.name === 'broker') || undefined,
    'snapshot',
  );
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin(ADMIN.username, ADMIN.password);
  const creds = (await admin.post('/api/v1/devices', { id: 'live-node', kind: 'sensor' })).body.mqtt;
  const dev = await connect(t.mqttUrl, { username: creds.username, password: creds.password });
  await dev.publishAsync('classedge/dev/live-node/reading', '{"metrics":{"co2_ppm":1234}}', { qos: 1 });
  const frame = await waitFor(
    () => frames.find((f) => f.type === 'reading' && f.data.deviceId === 'live-node'),
    'live reading',
  );
  assert.deepEqual(frame.data.metrics, { co2_ppm: 1234 });
  // Admin-only events do not reach a teacher.
  await dev.publishAsync('classedge/dev/live-node/reading', 'garbage', { qos: 1 });
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!frames.some((f) => f.type === 'ingest.rejected'));
  dev.end(true);
  ws.close();
});
