import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { runChecks } from '../../edge/doctor/checks.js';
import { parseConfig } from '../../edge/config/load.js';
import { MediaClient, WeriftConsumer, WeriftPublisher } from '../helpers/media-peer.js';
import type { MediaService } from '../../edge/media/media-service.js';

const MEDIA = (extra = '') =>
  `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 2, ${extra} }\n`;

function media(t: TestAppliance): MediaService {
  const m = t.appliance.registry.all().find((c) => c.kind === 'media');
  assert.ok(m, 'media component');
  return m as MediaService;
}

async function teacher(t: TestAppliance): Promise<MediaClient> {
  const api = new ApiClient(t.httpUrl);
  await api.loginTeacher(TEACHER.username, TEACHER.pin);
  return MediaClient.connect(`${t.httpUrl.replace('http', 'ws')}/api/v1/media`, { cookie: api.cookie ?? '' });
}

const viewerUrl = (t: TestAppliance, code: string) => `${t.httpUrl.replace('http', 'ws')}/api/v1/media?code=${code}`;

test('a werift publisher and two werift viewers: real ICE/DTLS/SRTP, the right payload type, a second worker fed by a pipe', async () => {
  // consumersPerRouter 1: the second viewer is served by a router on the other worker.
  const t = await startTestAppliance(MEDIA('consumersPerRouter: 1'));
  await seedAccounts(t);
  const peers: { close(): Promise<void> }[] = [];
  try {
    const tc = await teacher(t);
    const { code } = await tc.request('lesson.start', { title: '专递课堂 数学' });
    assert.match(code, /^[A-HJ-NP-Z2-9]{8}$/);
    await tc.request('room.join');
    const pub = new WeriftPublisher();
    peers.push(pub);
    const producerId = await pub.publish(tc);

    // No account, only the code; a wrong code is refused before the socket opens.
    await assert.rejects(MediaClient.connect(viewerUrl(t, 'WRONG234')), (e: { status?: number }) => e.status === 404);
    const viewers: WeriftConsumer[] = [];
    for (const name of ['家长 A', '专家 B']) {
      const vc = await MediaClient.connect(viewerUrl(t, code));
      const joined = await vc.request('room.join', { name });
      assert.deepEqual(
        joined.producers.map((p: { producerId: string }) => p.producerId),
        [producerId],
      );
      assert.equal(joined.code, undefined, 'viewers are not given the code to pass on');
      // Viewers only watch.
      await assert.rejects(vc.request('transport.create', { direction: 'send' }), /forbidden/);
      await assert.rejects(vc.request('lesson.end'), /forbidden: lesson.end: not allowed for a viewer/);
      const c = new WeriftConsumer();
      peers.push(c);
      await c.consume(vc, producerId);
      viewers.push(c);
    }
    for (const c of viewers) {
      await waitFor(() => (c.packets >= 5 ? true : undefined), 'RTP at the viewer', 20_000);
      assert.ok(c.consumerPayloadType > 0);
      assert.ok(
        c.payloadTypes.every((pt) => pt === c.consumerPayloadType),
        `payload types ${c.payloadTypes.join(',')} vs ${c.consumerPayloadType}`,
      );
    }
    const dump = await media(t).dump();
    assert.equal(dump?.participants.filter((p) => p.role === 'viewer').length, 2);

    // A bad request names the field.
    await assert.rejects(
      tc.request('consumer.layers', { consumerId: 'x', spatialLayer: 9 }),
      /invalid_input: consumer.layers: data.spatialLayer must be <= 3/,
    );
    await assert.rejects(
      tc.request('produce', { transportId: 'nope', kind: 'video', label: 'camera', rtpParameters: {} }),
      /not_found: transportId: no transport 'nope'/,
    );

    // Ending the lesson closes every transport in the workers.
    await tc.request('lesson.end');
    assert.equal(await media(t).dump(), undefined);
    tc.close();
  } finally {
    for (const p of peers) await p.close();
    await t.stop();
  }
});

test('a viewer that vanishes without goodbye (process frozen) is removed after the ICE consent timeout', async () => {
  const t = await startTestAppliance(MEDIA('iceConsentTimeoutSec: 5, iceDisconnectGraceMs: 1000'));
  await seedAccounts(t);
  const pub = new WeriftPublisher();
  const script = fileURLToPath(new URL('../helpers/media-peer.js', import.meta.url));
  try {
    const tc = await teacher(t);
    const { code } = await tc.request('lesson.start', {});
    await tc.request('room.join');
    const producerId = await pub.publish(tc);
    const child = spawn(process.execPath, [script, 'consume', viewerUrl(t, code), producerId], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => (out.includes('receiving') ? true : undefined), 'the child viewer receiving', 20_000);
      const joined = await tc.event('participant.joined', (d) => d.role === 'viewer');
      // Frozen: its TCP connection stays open (the kernel answers), its ICE goes silent.
      child.kill('SIGSTOP');
      const left = await tc.event('participant.left', (d) => d.participantId === joined.participantId, 40_000);
      assert.equal(left.reason, 'vanished');
      const dump = await media(t).dump();
      assert.deepEqual(
        dump?.participants.map((p) => p.role),
        ['teacher'],
      );
      assert.equal(dump?.workerTransports, 1, 'only the teacher’s send transport is left in the worker');
    } finally {
      child.kill('SIGKILL');
    }
    tc.close();
  } finally {
    await pub.close();
    await t.stop();
  }
});

test('a media worker that dies is replaced; the lesson restarts with the same code and works again', async () => {
  const t = await startTestAppliance(MEDIA());
  await seedAccounts(t);
  const peers: { close(): Promise<void> }[] = [];
  try {
    const m = media(t);
    const tc = await teacher(t);
    const { code, roomId } = await tc.request('lesson.start', {});
    await tc.request('room.join');
    const first = new WeriftPublisher();
    peers.push(first);
    await first.publish(tc);
    const before = m.workerPids();
    const dump = await m.dump();
    assert.ok(dump);
    // Kill every worker: whichever holds the lesson's router dies.
    for (const pid of before) process.kill(pid, 'SIGKILL');
    await tc.event('room.closed', (d) => d.reason === 'restarting');
    await waitFor(
      () => (m.workerPids().every((p) => !before.includes(p)) && m.status().state === 'running' ? true : undefined),
      'workers replaced',
      20_000,
    );
    assert.equal(m.status().counters?.workerRestarts, 2);
    const again = await tc.request('room.join');
    assert.equal(again.roomId, roomId);
    const pub = new WeriftPublisher();
    peers.push(pub);
    const producerId = await pub.publish(tc);
    const vc = await MediaClient.connect(viewerUrl(t, code));
    await vc.request('room.join');
    const c = new WeriftConsumer();
    peers.push(c);
    await c.consume(vc, producerId);
    await waitFor(() => (c.packets > 0 ? true : undefined), 'RTP after the restart', 20_000);
    tc.close();
  } finally {
    for (const p of peers) await p.close();
    await t.stop();
  }
});

test('the classroom camera: ffmpeg sends VP8 RTP into a PlainTransport and a werift viewer receives it', async () => {
  const t = await startTestAppliance(MEDIA());
  await seedAccounts(t);
  const c = new WeriftConsumer();
  try {
    const tc = await teacher(t);
    const { code } = await tc.request('lesson.start', {});
    await tc.request('room.join');
    await assert.rejects(
      tc.request('camera.start', { source: 'http://cam/x' }),
      /invalid_input: camera.start: \/source: expected 'testsrc', an rtsp:\/\/ URL or a \/dev\/videoN device/,
    );
    const { producerId } = await tc.request('camera.start', { source: 'testsrc' });
    const added = await tc.event('producer.added', (d) => d.producerId === producerId);
    assert.equal(added.label, 'classroom-camera');
    const vc = await MediaClient.connect(viewerUrl(t, code));
    await vc.request('room.join');
    await c.consume(vc, producerId);
    await waitFor(() => (c.packets >= 10 ? true : undefined), 'camera RTP at the viewer', 30_000);
    assert.ok(c.payloadTypes.every((pt) => pt === c.consumerPayloadType));
    await tc.request('camera.stop');
    await vc.event('producer.closed', (d) => d.producerId === producerId);
    tc.close();
  } finally {
    await c.close();
    await t.stop();
  }
});

test('doctor reports the media worker: where it is, or the command that builds it', async () => {
  const dir = tempDir();
  const saved = process.env.MEDIASOUP_WORKER_BIN;
  try {
    const config = parseConfig(
      `dataDir: ${JSON.stringify(dir.path)}\nhttp: { port: 1 }\ncomponents:\n  - { type: media, name: media }\n`,
      'test.yaml',
    );
    const ok = (await runChecks(config)).find((c) => c.name === 'media-worker');
    assert.equal(ok?.status, 'ok', ok?.detail);
    assert.match(ok?.detail ?? '', /mediasoup 3\.15\.8 worker at \S+mediasoup-worker \(\d+\.\d MB\)/);
    process.env.MEDIASOUP_WORKER_BIN = `${dir.path}/missing-worker`;
    const bad = (await runChecks(config)).find((c) => c.name === 'media-worker');
    assert.equal(bad?.status, 'fail');
    assert.match(bad?.detail ?? '', /no executable mediasoup worker at .*missing-worker/);
    assert.match(bad?.fix ?? '', /scripts\/build-mediasoup-worker\.sh/);
  } finally {
    if (saved === undefined) delete process.env.MEDIASOUP_WORKER_BIN;
    else process.env.MEDIASOUP_WORKER_BIN = saved;
    dir.cleanup();
  }
});

test('a join code admits to its own lesson only: ending the lesson lets its viewers go, and the old code opens nothing', async () => {
  const t = await startTestAppliance(MEDIA());
  await seedAccounts(t);
  try {
    const tc = await teacher(t);
    const first = await tc.request('lesson.start', { title: 'A' });
    const vc = await MediaClient.connect(viewerUrl(t, first.code));
    await vc.request('room.join', { name: '家长' });
    const closed = new Promise<number>((resolve) => vc.ws.once('close', (code) => resolve(code)));
    await tc.request('lesson.end');
    assert.equal(await closed, 1000);
    const second = await tc.request('lesson.start', { title: 'B' });
    assert.notEqual(second.code, first.code);
    await assert.rejects(MediaClient.connect(viewerUrl(t, first.code)), (e: { status?: number }) => e.status === 404);
    // With the new code, a viewer gets in.
    const v2 = await MediaClient.connect(viewerUrl(t, second.code));
    const joined = await v2.request('room.join', { name: '专家' });
    assert.equal(joined.roomId, second.roomId);
    v2.close();
    tc.close();
  } finally {
    await t.stop();
  }
});
