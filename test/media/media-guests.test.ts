import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { waitFor } from '../helpers/env.js';
import { MediaClient } from '../helpers/media-peer.js';
import { rawExchange, stalledWebSocket, statusLine, upgradeRequest } from '../helpers/raw-http.js';
import { NOT_ADMITTED_CLOSE_CODE } from '../../edge/media/signalling.js';
import { SESSION_ENDED_CLOSE_CODE } from '../../edge/api/session-watch.js';
import type { MediaService } from '../../edge/media/media-service.js';

function media(t: TestAppliance): MediaService {
  const m = t.appliance.registry.all().find((c) => c.kind === 'media');
  assert.ok(m, 'media component');
  return m as MediaService;
}

const counter = (t: TestAppliance, name: string): number => media(t).status().counters?.[name] ?? 0;

/** A signalling socket from a given loopback address (127.0.0.x are all this machine on Linux). */
interface Guest {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  request(method: string, data?: unknown): Promise<unknown>;
}

function guest(url: string, localAddress: string): Promise<Guest> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    const pending = new Map<number, (m: { ok: boolean; data?: unknown; message?: string }) => void>();
    let next = 1;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id?: number; ok: boolean; data?: unknown; message?: string };
      if (typeof m.id === 'number') pending.get(m.id)?.(m);
    });
    ws.once('open', () =>
      resolve({
        ws,
        closed,
        request: (method, data = {}) =>
          new Promise((res, rej) => {
            const id = next++;
            pending.set(id, (m) => (m.ok ? res(m.data) : rej(new Error(m.message))));
            ws.send(JSON.stringify({ id, method, data }));
          }),
      }),
    );
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
  });
}

/** The body of a refused upgrade: the reason names the setting that refused it. */
async function refusal(t: TestAppliance, target: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.httpUrl.replace('http', 'ws')}${target}`, { localAddress });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${target} from ${localAddress} was admitted`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    ws.once('error', reject);
  });
}

test(
  'media guests: join-code sockets capped per code, per address and overall; a partner without hello is closed; a silent socket is dropped; a teacher socket ends with the session',
  { timeout: 120_000 },
  async () => {
    const t = await startTestAppliance(
      'components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1, maxViewers: 3, maxGuestSockets: 4, maxGuestSocketsPerAddress: 2, guestAdmitSeconds: 3, idleTimeoutSeconds: 5 }\n',
    );
    const open: WebSocket[] = [];
    try {
      await seedAccounts(t);
      const api = new ApiClient(t.httpUrl);
      await api.loginTeacher(TEACHER.username, TEACHER.pin);
      const wsUrl = `${t.httpUrl.replace('http', 'ws')}/api/v1/media`;
      const tc = await MediaClient.connect(wsUrl, { cookie: api.cookie ?? '' });
      open.push(tc.ws);
      const { code } = (await tc.request('lesson.start', { title: '专递课堂' })) as { code: string };

      // Two viewers from one address fill its share (maxGuestSocketsPerAddress 2).
      for (const name of ['A', 'B']) {
        const v = await guest(`${wsUrl}?code=${code}`, '127.0.0.1');
        open.push(v.ws);
        await v.request('room.join', { name });
      }
      assert.match(await refusal(t, `/api/v1/media?code=${code}`, '127.0.0.1'), /^503 .*maxGuestSocketsPerAddress/);
      // A third viewer from elsewhere takes the last viewer slot; the code holds no more sockets.
      const v3 = await guest(`${wsUrl}?code=${code}`, '127.0.0.2');
      open.push(v3.ws);
      await v3.request('room.join', { name: 'C' });
      assert.match(await refusal(t, `/api/v1/media?code=${code}`, '127.0.0.2'), /^503 .*maxViewers/);
      // A partner socket needs no login to open, but it counts, and must prove itself in time.
      const p1 = await guest(`${wsUrl}?partner=1`, '127.0.0.3');
      open.push(p1.ws);
      assert.match(await refusal(t, '/api/v1/media?partner=1', '127.0.0.4'), /^503 .*maxGuestSockets/);
      const c1 = await p1.closed;
      assert.equal(c1.code, NOT_ADMITTED_CLOSE_CODE);
      assert.match(c1.reason, /partner\.hello/);
      // Its place is free again.
      const p2 = await guest(`${wsUrl}?partner=1`, '127.0.0.4');
      open.push(p2.ws);
      assert.equal((await p2.closed).code, NOT_ADMITTED_CLOSE_CODE);
      assert.ok(counter(t, 'guestsRefused') >= 3);
      assert.ok(counter(t, 'notAdmitted') >= 2);

      // A socket that stops reading answers no ping: dropped after idleTimeoutSeconds, while the
      // viewers (whose WebSocket library answers pings) stay.
      const port = Number(new URL(t.httpUrl).port);
      const silent = await stalledWebSocket(port, '/api/v1/media', { Cookie: api.cookie ?? '' });
      await waitFor(() => (counter(t, 'idleClosed') >= 1 ? true : undefined), 'the silent socket dropped', 30_000, 200);
      silent.socket.resume();
      await silent.closed;
      assert.equal(v3.ws.readyState, WebSocket.OPEN, 'a viewer that answers pings is kept');
      assert.equal(tc.ws.readyState, WebSocket.OPEN);

      // Logout: the teacher's socket (lesson powers) closes with the session.
      const teacherClosed = new Promise<number>((r) => tc.ws.once('close', (c) => r(c)));
      assert.equal((await api.delete('/api/v1/session')).status, 200);
      assert.equal(await teacherClosed, SESSION_ENDED_CLOSE_CODE);

      // Garbage to the media route is answered, and the appliance still serves.
      assert.match(
        statusLine(await rawExchange(port, upgradeRequest('/api/v1/media?partner=%&code=%', { Cookie: 'a=%' }))),
        /^HTTP\/1\.1 (101|404|503) /,
      );
      assert.equal((await fetch(`${t.httpUrl}/api/v1/health`)).status, 200);

      // Messages that are JSON but no object, sent by an unauthenticated partner socket: each is
      // answered with what was expected (reading `.id` of null used to end the process).
      const hostileGuest = await guest(`${wsUrl}?partner=1`, '127.0.0.6');
      open.push(hostileGuest.ws);
      const answers: string[] = [];
      hostileGuest.ws.on('message', (raw) => answers.push(String(raw)));
      for (const m of ['null', '5', '"x"', '[]', '{"id":1,"method":"partner.hello","data":null}', '{"id":null}'])
        hostileGuest.ws.send(m);
      await waitFor(
        () => answers.filter((a) => a.includes('"ok":false')).length >= 6 || undefined,
        'answers to hostile media messages',
      );
      assert.match(answers.join('\n'), /expected a JSON object, got null/);
      assert.match(answers.join('\n'), /expected a JSON object, got an array/);
      assert.equal((await fetch(`${t.httpUrl}/api/v1/health`)).status, 200);
    } finally {
      for (const ws of open) ws.terminate();
      await t.stop();
    }
  },
);
