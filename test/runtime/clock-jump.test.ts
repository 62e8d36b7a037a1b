import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../../edge/store/store.js';
import { parseConfig } from '../../edge/config/load.js';
import { addUser } from '../../edge/services/accounts.js';
import { ApiClient } from '../helpers/api-client.js';
import { healthy, type ChildAppliance } from '../helpers/child.js';
import { CLI, freePort, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { steppableClockEnv } from '../helpers/steppable-clock.js';
import { withDbFile } from '../helpers/sqlite.js';

const DAY = 86_400_000;
const ADMIN = { username: 'it-admin', password: 'Str0ng-Passw0rd!' };

/**
 * A real `classedge start` whose wall clock the test moves while it runs (libfaketime preloaded,
 * following an offset file; see steppableClockEnv).
 */
async function startUnderFaketime(dataDir: string, configFile: string, offsetFile: string): Promise<ChildAppliance> {
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const child = spawn(process.execPath, [CLI, 'start', '-c', configFile], {
    env: {
      ...steppableClockEnv(offsetFile),
      CLASSEDGE_DATA_DIR: dataDir,
      CLASSEDGE_HTTP_PORT: String(httpPort),
      CLASSEDGE_MQTT_PORT: String(mqttPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a signal reaches the appliance and whatever it started.
    detached: true,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, httpPort, mqttPort, httpsPort: 0, mqttsPort: 0, stdout, stderr, exited };
}

/** What retention would delete if it believed a clock two years ahead: a day-old reading, check and audit trail. */
async function seed(dataDir: string, configText: string, file: string): Promise<void> {
  const config = parseConfig(configText, file);
  const s = Store.open(config);
  try {
    await addUser(s, config, { username: ADMIN.username, role: 'admin', secret: ADMIN.password }, 'test');
    await addUser(s, config, { username: 'li', role: 'teacher', secret: '482916' }, 'test');
    await addUser(s, config, { username: 'wang', role: 'teacher', secret: '735104' }, 'test');
    const now = Date.now();
    s.readings.insertMany(
      [1, 2, 3].map((i) => ({
        deviceId: 'co2-1',
        metric: 'co2_ppm',
        value: 500 + i,
        ts: now - DAY,
        receivedAt: now - DAY,
      })),
    );
    s.roster.apply([
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
    const studentId = withDbFile(dataDir, (db) => (db.prepare('SELECT id FROM students').get() as { id: number }).id);
    s.health.insertCheck({
      studentId,
      day: new Date(now - DAY).toISOString().slice(0, 10),
      checkedAt: now - DAY,
      tempRawC: 36.5,
      ambientC: 22,
      tempC: 36.6,
      compensation: null,
      symptoms: [],
      notes: '',
      result: 'normal',
      remeasureOf: null,
      recordedBy: 'li',
      corrects: null,
      correctionReason: null,
    });
  } finally {
    s.close();
  }
}

const count = (dataDir: string, sql: string): number =>
  withDbFile(dataDir, (db) => (db.prepare(sql).get() as { n: number }).n);

test(
  'clock ±1 hour and ±2 years on a running appliance: nothing purged, the audit chain records each jump, sessions and locks end on monotonic time',
  { timeout: 240_000 },
  async () => {
    const dir = tempDir();
    const configFile = join(dir.path, 'config.yaml');
    const offsetFile = join(dir.path, 'faketime-offset');
    const configText = [
      `dataDir: ${JSON.stringify(dir.path)}`,
      'http: { host: 127.0.0.1 }',
      'mqtt: { host: 127.0.0.1 }',
      'log: { level: info }',
      'retention: { clockCheckSeconds: 1, jobIntervalMinutes: 1 }',
      // Readings reach the table every half second (they are counted there), on the same timers as the rest.
      'store: { applyIntervalMs: 500 }',
      'auth: { adminSessionIdleMinutes: 1, adminSessionMaxMinutes: 1, maxFailedLogins: 3, lockoutMinutes: 1 }',
      // A Modbus sensor on a simulated cable, polled every second: its schedule must survive the jumps.
      'components:',
      `  - { type: modbus-sim, name: sensors-sim, ptyDir: ${JSON.stringify(join(dir.path, 'pty'))}, slaves: [{ address: 3, profile: jxct-th }] }`,
      `  - { type: modbus-bus, name: bus, port: ${JSON.stringify(join(dir.path, 'pty', 'appliance'))}, pollIntervalMs: 1000, devices: [{ address: 3, profile: jxct-th }] }`,
      '',
    ].join('\n');
    writeFileSync(configFile, configText);
    writeFileSync(offsetFile, '+0\n');
    await seed(dir.path, configText, configFile);
    const setOffset = (o: string): void => writeFileSync(offsetFile, `${o}\n`);
    const app = await startUnderFaketime(dir.path, configFile, offsetFile);
    try {
      const polled = (): number => count(dir.path, "SELECT count(*) AS n FROM readings WHERE device_id = 'bus-3'");
      /** The bus keeps polling: new readings within seconds (a schedule on the wall clock stalled). */
      const stillPolling = async (when: string): Promise<void> => {
        const n = polled();
        await waitFor(() => polled() > n || undefined, `Modbus readings after ${when}`, 10_000, 200);
      };
      await healthy(app);
      await waitFor(() => polled() > 0 || undefined, 'the first Modbus readings', 30_000, 200);
      const base = `http://127.0.0.1:${app.httpPort}`;
      const jumps = (): { driftMs: number }[] =>
        withDbFile(dir.path, (db) =>
          (
            db.prepare("SELECT detail FROM audit_log WHERE action = 'clock.jump' ORDER BY id").all() as {
              detail: string;
            }[]
          ).map((r) => JSON.parse(r.detail) as { driftMs: number }),
        );
      /** Move the clock and wait until the appliance has recorded that move in its audit log. */
      const jump = async (offset: string, driftMs: number): Promise<void> => {
        const before = jumps().length;
        setOffset(offset);
        const got = await waitFor(() => jumps()[before], `clock.jump record for ${offset}`, 15_000, 200);
        assert.ok(Math.abs(got.driftMs - driftMs) < 60_000, `jump to ${offset} recorded as ${got.driftMs} ms`);
      };
      const admin = new ApiClient(base);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const adminAt = performance.now();
      const watcher = new ApiClient(base);
      await watcher.loginTeacher('wang', '735104');
      const li = new ApiClient(base);
      const liLogin = (pin: string) => li.post('/api/v1/session/teacher', { username: 'li', pin });
      for (const expected of [401, 401, 423]) assert.equal((await liLogin('000000')).status, expected);
      const lockedAt = performance.now();
      const refused = async (): Promise<number> => {
        const r = await watcher.get('/api/v1/components');
        assert.equal(r.status, 200);
        const c = (r.body as { name: string; counters?: Record<string, number> }[]).find((x) => x.name === 'retention');
        return c?.counters?.refused ?? 0;
      };

      // An hour ahead, then an hour behind: each is recorded; the session and the lock go on as the
      // monotonic clock says (the old wall-clock arithmetic lifted the lock at +1 h).
      await jump('+1h', 3_600_000);
      assert.equal((await admin.get('/api/v1/status')).status, 200, 'a clock set forward must not end a session');
      assert.equal((await liLogin('482916')).status, 423, 'a clock set forward must not lift a lock');
      await jump('-1h', -3_600_000);
      assert.equal((await admin.get('/api/v1/status')).status, 200);
      await stillPolling('the clock was set back an hour');

      // Two years ahead: every record now looks expired. The session lives on, and the retention run
      // that comes while the clock is there refuses to purge.
      await jump('+730d', 730 * DAY);
      assert.equal((await admin.get('/api/v1/status')).status, 200, 'two years forward must not end a session');
      const refusedBefore = await refused();
      await waitFor(async () => (await refused()) > refusedBefore || undefined, 'a refused retention run', 90_000, 500);
      assert.equal(count(dir.path, "SELECT count(*) AS n FROM readings WHERE device_id = 'co2-1'"), 3);
      assert.equal(count(dir.path, 'SELECT count(*) AS n FROM health_checks'), 1);
      assert.equal(count(dir.path, "SELECT count(*) AS n FROM audit_log WHERE action = 'user.add'"), 3);
      assert.equal(count(dir.path, "SELECT count(*) AS n FROM audit_log WHERE action = 'audit.pruned'"), 0);
      const doctor = await run(process.execPath, [CLI, 'doctor', '--json', '-c', configFile], {
        env: {
          CLASSEDGE_DATA_DIR: dir.path,
          CLASSEDGE_HTTP_PORT: String(app.httpPort),
          CLASSEDGE_MQTT_PORT: String(app.mqttPort),
        },
      });
      const checks = (JSON.parse(doctor.out) as { checks: { name: string; status: string; detail: string }[] }).checks;
      const retention = checks.find((c) => c.name === 'retention');
      assert.equal(retention?.status, 'warn', JSON.stringify(retention));
      assert.match(retention?.detail ?? '', /retention paused since .*\+730 d/);
      const audit = checks.find((c) => c.name === 'audit-log');
      assert.equal(audit?.status, 'ok', JSON.stringify(audit));
      assert.match(audit?.detail ?? '', /last clock jump recorded/);

      // Two years behind: the session ends when its minute is up and the lock when its minute is up,
      // though by the wall clock both were made two years in the future.
      await jump('-730d', -730 * DAY);
      await stillPolling('the clock was set back two years');
      const waitUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
      await waitUntil(adminAt + 62_000);
      assert.equal((await admin.get('/api/v1/status')).status, 401, 'a clock set back must not extend a session');
      await waitUntil(lockedAt + 62_000);
      assert.equal((await liLogin('482916')).status, 200, 'a clock set back must not extend a lock');

      // The clock comes back: retention resumes by itself, recorded; the chain is whole.
      setOffset('+0');
      await waitFor(
        () => count(dir.path, "SELECT count(*) AS n FROM audit_log WHERE action = 'clock.restored'") > 0 || undefined,
        'clock.restored record',
        15_000,
        200,
      );
      assert.equal(count(dir.path, "SELECT count(*) AS n FROM readings WHERE device_id = 'co2-1'"), 3);
      const after = await run(process.execPath, [CLI, 'retention', 'status', '--json', '-c', configFile], {
        env: { CLASSEDGE_DATA_DIR: dir.path },
      });
      assert.equal((JSON.parse(after.out) as { purging: boolean }).purging, true, after.out + after.err);
    } finally {
      const group = (signal: NodeJS.Signals): void => {
        try {
          if (app.child.pid !== undefined) process.kill(-app.child.pid, signal);
        } catch {
          // already gone
        }
      };
      group('SIGTERM');
      const stopped = await Promise.race([app.exited, new Promise((r) => setTimeout(() => r(undefined), 20_000))]);
      if (stopped === undefined) group('SIGKILL');
      await app.exited;
      dir.cleanup();
    }
  },
);
