import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Type, type TSchema } from '@sinclair/typebox';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { rosterCsv } from '../helpers/roster.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { apiRoutes } from '../../edge/api/server.js';
import { openApiPath } from '../../edge/api/openapi.js';
import { endpoints, type EndpointKey } from '../../edge/api/contract/index.js';
import { ErrorBody, HealthBody } from '../../edge/api/schemas.js';
import { ConfigSchema } from '../../edge/config/schema.js';

/**
 * Every route of the route table is called on a running appliance (with a thermometer, a panel and
 * a Modbus bus at the far end of simulated cables), and every real answer is checked against the
 * schema its route declares, which is also the schema the served OpenAPI document shows. A route
 * that cannot be called without breaking the calls after it is called on its error path, and its
 * error body is checked instead.
 */

let t: TestAppliance;
let pty: PtyPair;
let thermometer: ThermometerSim;
const dir = tempDir('classedge-contract-');
let doc: {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
};

before(async () => {
  pty = await openPtyPair(dir.path);
  thermometer = new ThermometerSim();
  await thermometer.listen(pty.b);
  const slaves = '      - { address: 1, profile: jxct-gas }';
  t = await startTestAppliance(`timetable: { lessons: [] }
room:
  enabled: true
  switches: [{ id: fresh-air, role: fresh-air }]
  curtains: [{ id: curtain, openSwitch: curtain-open, closeSwitch: curtain-close, travelS: 1 }]
health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }
components:
  - { type: thermometer, name: door, port: ${JSON.stringify(pty.a)}, timeoutMs: 2000 }
  - type: display-sim
    name: panel-sim
    family: hitevision
    ptyDir: ${JSON.stringify(join(dir.path, 'panel'))}
  - type: display
    name: panel
    family: hitevision
    port: ${JSON.stringify(join(dir.path, 'panel', 'appliance'))}
    schedule: { enabled: false }
  - type: modbus-sim
    name: sensors-sim
    ptyDir: ${JSON.stringify(join(dir.path, 'bus'))}
    slaves:
${slaves}
    relays: [{ address: 9, board: coil-relay-4 }]
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'bus', 'appliance'))}
    pollIntervalMs: 500
    devices:
${slaves}
    relays:
      - address: 9
        board: coil-relay-4
        channels: [{ relay: 1, id: fresh-air }, { relay: 2, id: curtain-open }, { relay: 3, id: curtain-close }]
`);
  doc = (await new ApiClient(t.httpUrl).get('/api/v1/openapi.json')).body;
});

after(async () => {
  await t.stop();
  await thermometer.close();
  await pty.close();
  dir.cleanup();
});

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new Map<unknown, ValidateFunction>();

/** The first place where `body` breaks `schema`, or undefined when it conforms. */
function firstError(schema: unknown, body: unknown): string | undefined {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema as object);
    compiled.set(schema, v);
  }
  if (v(body)) return undefined;
  const e = v.errors?.[0];
  return `${e?.instancePath || '/'} ${e?.message ?? 'invalid'}${e?.params ? ` ${JSON.stringify(e.params)}` : ''}`;
}

const called = new Set<EndpointKey>();

/**
 * Call one endpoint and check its real answer: a success against the route's declared response
 * schema (and the same schema in the served OpenAPI document), an expected failure against ErrorBody.
 */
async function call(
  api: ApiClient,
  key: EndpointKey,
  o: { params?: Record<string, string | number>; query?: string; body?: unknown; status?: number | number[] } = {},
): Promise<{ status: number; body: any }> {
  const r = apiRoutes.find((x) => x.key === key);
  assert.ok(r, `${key}: not in the route table`);
  const path = r.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) =>
    encodeURIComponent(String(o.params?.[name] ?? '')),
  );
  const res = await api.request(
    r.method.toUpperCase(),
    `${path}${o.query ? `?${o.query}` : ''}`,
    o.body ?? (r.body ? {} : undefined),
  );
  called.add(key);
  const expected = [o.status ?? r.status ?? 200].flat();
  assert.ok(expected.includes(res.status), `${key}: status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  if (res.status >= 400) {
    const problem = firstError(ErrorBody, res.body);
    assert.equal(problem, undefined, `${key} answered ${res.status} with a body that is no ErrorBody: ${problem}`);
    return res;
  }
  const problem = firstError(r.response, res.body);
  assert.equal(problem, undefined, `${key}: the real answer does not match its declared schema at ${problem}`);
  const op = doc.paths[openApiPath(r.path)]?.[r.method];
  const documented = op?.responses[String(r.status ?? 200)]?.content?.[r.raw ?? 'application/json']?.schema;
  assert.deepEqual(
    documented,
    JSON.parse(JSON.stringify(r.response)),
    `${key}: the OpenAPI document shows another schema than the route declares`,
  );
  return res;
}

test('the contract and the route table list the same endpoints, each once, and no answer is left untyped', () => {
  const keys = apiRoutes.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, 'an endpoint registered twice');
  assert.deepEqual([...keys].sort(), Object.keys(endpoints).sort());
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
  assert.deepEqual(documented, apiRoutes.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort());
  // No endpoint without a response schema (Type.Unknown() is {}).
  const untyped = apiRoutes.filter((r) => JSON.stringify(r.response) === '{}').map((r) => r.key);
  assert.deepEqual(untyped, []);
});

test('the validator finds a wrong schema: a real answer checked against a deliberately wrong one fails at the wrong field', async () => {
  const health = (await new ApiClient(t.httpUrl).get('/api/v1/health')).body;
  assert.equal(firstError(HealthBody, health), undefined);
  const wrong: TSchema = Type.Object({ ...HealthBody.properties, uptimeS: Type.String() });
  assert.match(firstError(wrong, health) ?? '', /^\/uptimeS must be string/);
  const wrongItems = Type.Object({ components: Type.Array(Type.Object({ name: Type.Integer() })) });
  assert.match(firstError(wrongItems, health) ?? '', /^\/components\/0\/name must be integer/);
});

test('every route answers as its schema says, on a running appliance', async () => {
  const anon = new ApiClient(t.httpUrl);
  const admin = new ApiClient(t.httpUrl);
  const teacher = new ApiClient(t.httpUrl);

  // First run, before anyone can log in.
  assert.equal((await call(anon, 'GET /api/v1/session')).body.setupRequired, true);
  await call(anon, 'POST /api/v1/setup/admin', { body: { username: 'first', password: 'First-Admin-2026' } });
  await call(anon, 'GET /api/v1/kiosk');
  // 503 while a core component is starting: the body is the same health document.
  await call(anon, 'GET /api/v1/health', { status: [200, 503] });
  await call(admin, 'POST /api/v1/session/admin', { body: { username: 'first', password: 'First-Admin-2026' } });

  // Accounts.
  await call(admin, 'POST /api/v1/users', {
    body: { username: 'li', displayName: '李老师', role: 'teacher', secret: '482916' },
    status: 201,
  });
  await call(admin, 'POST /api/v1/users', {
    body: { username: 'temp', role: 'teacher', secret: '135790' },
    status: 201,
  });
  await call(admin, 'PUT /api/v1/users/:username/secret', { params: { username: 'temp' }, body: { secret: '246801' } });
  await call(admin, 'PUT /api/v1/users/:username/disabled', { params: { username: 'temp' }, body: { disabled: true } });
  await call(admin, 'DELETE /api/v1/users/:username', { params: { username: 'temp' } });
  await call(admin, 'GET /api/v1/users');
  await call(anon, 'GET /api/v1/teachers');
  await call(teacher, 'POST /api/v1/session/teacher', { body: { username: 'li', pin: '482916' } });

  // The appliance itself.
  await call(admin, 'GET /api/v1/status');
  t.appliance.store.systemHistory.append(
    {
      ts: Date.now(),
      spanMs: 300_000,
      cpuShare: 0.1,
      rssBytes: 1e8,
      diskFreeBytes: 1e10,
      flashBytes: null,
      loopLagP99Ms: 9,
      syncLagS: null,
    },
    2100,
  );
  const history = await call(admin, 'GET /api/v1/system/history', { query: 'range=7d' });
  assert.ok(history.body.points.length >= 1);
  await call(admin, 'GET /api/v1/data-classes');
  await call(admin, 'GET /api/v1/config/schema');
  const config = await call(admin, 'GET /api/v1/config');
  assert.equal(
    firstError(ConfigSchema, config.body),
    undefined,
    'GET /api/v1/config: the answer is the configuration schema',
  );
  const saved = await call(admin, 'GET /api/v1/config/saved');
  assert.equal(saved.body.restartRequired, false, 'nothing saved since the start');
  // Embedded (no `classedge start` around it), the appliance cannot restart itself and says so;
  // the restart itself is tested through the CLI in test/kiosk/settings.e2e.test.ts.
  await call(admin, 'POST /api/v1/system/restart', { status: 409 });
  await call(admin, 'PUT /api/v1/config', {
    body: { changes: [{ path: '/kiosk/idleLockSeconds', value: 300 }], dryRun: true },
  });
  await call(teacher, 'GET /api/v1/components');
  await waitFor(
    async () => ((await admin.get('/api/v1/modbus')).body[0]?.slaves[0]?.online === true ? true : undefined),
    'the Modbus sensor online',
    15_000,
    200,
  );
  await call(admin, 'GET /api/v1/modbus');

  // Devices and their readings.
  const creds = (await call(admin, 'POST /api/v1/devices', { body: { id: 'co2-node', kind: 'sensor' }, status: 201 }))
    .body;
  const dev = await connect(t.mqttUrl, { username: creds.mqtt.username, password: creds.mqtt.password });
  await dev.publishAsync('classedge/dev/co2-node/reading', '{"metrics":{"co2_ppm":640}}', { qos: 1 });
  await dev.endAsync();
  await waitFor(
    async () =>
      (await teacher.get('/api/v1/readings/latest')).body.some((x: { deviceId: string }) => x.deviceId === 'co2-node')
        ? true
        : undefined,
    'the reading stored',
  );
  await call(admin, 'POST /api/v1/devices/:id/secret', { params: { id: 'co2-node' } });
  await call(admin, 'GET /api/v1/devices');
  assert.ok((await call(teacher, 'GET /api/v1/readings', { query: 'metric=co2_ppm' })).body.length > 0);
  await call(teacher, 'GET /api/v1/readings/latest');

  // The morning health check.
  await call(admin, 'POST /api/v1/health/roster', {
    body: { csvBase64: Buffer.from(rosterCsv(4)).toString('base64') },
  });
  await call(teacher, 'GET /api/v1/health/classes');
  const students = (await call(admin, 'GET /api/v1/health/students')).body as { id: number }[];
  const [first, second] = students;
  assert.ok(first && second);
  await call(teacher, 'GET /api/v1/health/day');
  thermometer.next = { objectC: 36.1, ambientC: 20 };
  await call(teacher, 'POST /api/v1/health/measure', { body: {} });
  const check = (
    await call(teacher, 'POST /api/v1/health/checks', {
      body: { studentId: first.id, tempRawC: 36.1, ambientC: 20, symptoms: ['cough'] },
      status: 201,
    })
  ).body;
  await call(teacher, 'POST /api/v1/health/checks/:id/corrections', {
    params: { id: check.id },
    body: { reason: 'typed the wrong box', symptoms: [] },
    status: 201,
  });
  const absence = (
    await call(teacher, 'POST /api/v1/health/absences', {
      body: { studentId: second.id, reason: 'illness', symptoms: ['fever'] },
      status: 201,
    })
  ).body;
  await call(teacher, 'POST /api/v1/health/absences/:id/follow-up', {
    params: { id: absence.id },
    body: { note: 'parents called' },
  });
  assert.equal(
    (await call(teacher, 'GET /api/v1/health/day')).body.find((s: { studentId: number }) => s.studentId === second.id)
      ?.status,
    'absent',
  );
  await call(admin, 'GET /api/v1/health/students/:id', { params: { id: first.id } });
  assert.equal(
    (
      await call(admin, 'PUT /api/v1/health/students/:id/consent', {
        params: { id: first.id },
        body: { status: 'given' },
      })
    ).body.status,
    'given',
  );
  // Two hand-foot-mouth cases in a week are an outbreak signal, which a teacher marks reported (已上报).
  for (const s of students.slice(2, 4))
    await call(teacher, 'POST /api/v1/health/checks', {
      body: { studentId: s.id, tempRawC: 36.4, symptoms: ['hand-foot-mouth'] },
      status: 201,
    });
  const signals = (await call(teacher, 'GET /api/v1/health/alerts')).body as { id: number }[];
  assert.equal(signals.length, 1, 'one hand-foot-mouth signal');
  const reported = await call(teacher, 'POST /api/v1/health/alerts/:id/reported', { params: { id: signals[0]!.id } });
  assert.equal(reported.body.reportedCases, 2);
  await call(teacher, 'GET /api/v1/health/report');
  await call(teacher, 'POST /api/v1/health/report/printed', { body: {} });
  await call(teacher, 'GET /api/v1/health/report.csv');
  await call(teacher, 'GET /api/v1/health/report.html');

  // The room.
  await call(teacher, 'GET /api/v1/environment');
  await call(teacher, 'GET /api/v1/environment/history', { query: 'metric=co2_ppm' });
  await call(teacher, 'GET /api/v1/environment/alerts');

  // The flat panel.
  await call(teacher, 'GET /api/v1/displays');
  await call(teacher, 'POST /api/v1/displays/:name/commands', {
    params: { name: 'panel' },
    body: { kind: 'power', on: true },
  });
  await call(teacher, 'GET /api/v1/displays/:name/screen-time', { params: { name: 'panel' } });

  // The room: a relay board on the bus drives the fresh air.
  await call(teacher, 'GET /api/v1/room');
  await call(teacher, 'POST /api/v1/room/scene', { body: { scene: 'lesson' } });
  await call(teacher, 'POST /api/v1/room/switches/:id', { params: { id: 'fresh-air' }, body: { mode: 'on' } });
  await call(teacher, 'POST /api/v1/room/curtains/:id', { params: { id: 'curtain' }, body: { motion: 'stop' } });

  // Lessons and the diagnostic capture.
  const lesson = (await call(teacher, 'POST /api/v1/lessons/start', { status: 201 })).body;
  await call(teacher, 'GET /api/v1/lessons/current');
  await call(teacher, 'GET /api/v1/lessons/:id', { params: { id: lesson.id } });
  await call(teacher, 'POST /api/v1/lessons/current/end');
  await call(teacher, 'GET /api/v1/lessons');
  // The lesson the teacher started is theirs: in their own trends, readable by an admin, and
  // another teacher's trends are not theirs to read.
  const mine = (await call(teacher, 'GET /api/v1/lessons/trends')).body;
  assert.deepEqual(
    mine.lessons.map((l: { id: number }) => l.id),
    [lesson.id],
  );
  await call(teacher, 'GET /api/v1/lessons/trends', { query: 'teacher=someone-else', status: 403 });
  const listed = (await call(admin, 'GET /api/v1/lessons/trends')).body;
  assert.deepEqual(listed.teachers, [mine.teacher]);
  const asAdmin = (await call(admin, 'GET /api/v1/lessons/trends', { query: `teacher=${mine.teacher.username}` })).body;
  assert.equal(asAdmin.lessons.length, 1);
  await call(admin, 'POST /api/v1/analysis/capture', { body: { minutes: 1 }, status: 201 });
  await call(admin, 'GET /api/v1/analysis/capture');
  await call(admin, 'DELETE /api/v1/analysis/capture');

  // Remote lessons: no media component here, so no partner classrooms.
  assert.deepEqual((await call(teacher, 'GET /api/v1/media/partners')).body, []);
  const remote = (await call(teacher, 'GET /api/v1/media/lesson')).body as { lesson: unknown; joinOrigins: string[] };
  assert.equal(remote.lesson, null, 'no media component: no lesson');

  // District sync (not enrolled: the status says so, and a bulk request is only noted).
  await call(admin, 'GET /api/v1/sync');
  await call(admin, 'POST /api/v1/sync/now');

  // Clean-up routes last: they end what the calls above used.
  await call(admin, 'DELETE /api/v1/devices/:id', { params: { id: 'co2-node' } });
  await call(admin, 'GET /api/v1/audit');
  await call(teacher, 'DELETE /api/v1/session');

  assert.deepEqual(
    apiRoutes.map((r) => r.key).filter((k) => !called.has(k)),
    [],
    'every route of the route table was called',
  );
  assert.equal((await admin.get('/api/v1/not-a-route')).status, 404);
});

test('error answers carry the error body: unknown names, bad input, a refused role', async () => {
  const admin = new ApiClient(t.httpUrl);
  await admin.loginAdmin('first', 'First-Admin-2026');
  await call(admin, 'POST /api/v1/displays/:name/commands', {
    params: { name: 'no-such-panel' },
    body: { kind: 'power', on: true },
    status: 404,
  });
  await call(admin, 'GET /api/v1/displays/:name/screen-time', { params: { name: 'no-such-panel' }, status: 404 });
  await call(admin, 'GET /api/v1/lessons/:id', { params: { id: 999999 }, status: 404 });
  await call(admin, 'POST /api/v1/health/alerts/:id/reported', { params: { id: 999999 }, status: 404 });
  await call(admin, 'POST /api/v1/devices', { body: { id: 'x', kind: 'toaster' }, status: 400 });
  await call(new ApiClient(t.httpUrl), 'GET /api/v1/status', { status: 401 });
});
