import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { MediaClient, WeriftConsumer, WeriftPublisher } from '../helpers/media-peer.js';
import { newKeyPair, privateKeyFrom, signText } from '../../edge/security/signing.js';
import { hostSigningText } from '../../edge/media/partner-link.js';
import { generateSelfSigned } from '../../edge/security/tls.js';
import type { MediaService } from '../../edge/media/media-service.js';
import { launchChromium } from '../helpers/browser.js';
import { FAKE_MEDIA, teacherStartsLesson } from '../helpers/remote-browser.js';

async function teacherSocket(httpUrl: string): Promise<MediaClient> {
  const api = new ApiClient(httpUrl);
  await api.loginTeacher(TEACHER.username, TEACHER.pin);
  return MediaClient.connect(`${httpUrl.replace('http', 'ws')}/api/v1/media`, { cookie: api.cookie ?? '' });
}

function media(t: TestAppliance): MediaService {
  return t.appliance.registry.all().find((c) => c.kind === 'media') as MediaService;
}

/** A data directory holding an appliance key made here, so that the other side can list its public half. */
function keyedDir(): { path: string; publicKeyPem: string; privateKeyPem: string; cleanup(): void } {
  const dir = tempDir();
  mkdirSync(join(dir.path, 'keys'), { recursive: true, mode: 0o700 });
  const key = newKeyPair();
  writeFileSync(join(dir.path, 'keys', 'appliance.key'), key.privateKeyPem, { mode: 0o600 });
  return { ...dir, ...key };
}

const pem = (s: string): string => JSON.stringify(s);

test('classroom to classroom: both appliances prove their listed keys; the partner (another process) links by name; its viewer receives the host’s stream; killing it frees the host', async () => {
  const hostDir = keyedDir();
  const partnerDir = keyedDir();
  const stranger = newKeyPair();
  const host = await startTestAppliance(
    `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-a-201\n    partners:\n      - { applianceId: school-b-301, publicKeyPem: ${pem(partnerDir.publicKeyPem)} }\n      - { applianceId: school-c-101, publicKeyPem: ${pem(stranger.publicKeyPem)} }\n`,
    { keepDir: hostDir.path },
  );
  await seedAccounts(host);
  const hostMediaUrl = `${host.httpUrl.replace('http', 'ws')}/api/v1/media`;
  // The partner lists the host with its key and address (as the district's configuration would).
  const configFile = join(partnerDir.path, 'config.yaml');
  writeFileSync(
    configFile,
    `log: { level: warn }\nhttp: { host: 127.0.0.1 }\nmqtt: { host: 127.0.0.1 }\ncomponents:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-b-301\n    partners:\n      - { applianceId: school-a-201, name: "县一中 初二(3)班", url: ${hostMediaUrl}, publicKeyPem: ${pem(hostDir.publicKeyPem)} }\n      - { applianceId: school-d-404, publicKeyPem: ${pem(stranger.publicKeyPem)} }\n`,
  );
  const add = spawnSync(
    process.execPath,
    [CLI, 'user', 'add', TEACHER.username, '--role', 'teacher', '--data-dir', partnerDir.path],
    { input: `${TEACHER.pin}\n`, encoding: 'utf8' },
  );
  assert.equal(add.status, 0, add.stderr);
  const partner = await spawnAppliance(partnerDir.path, ['--config', configFile]);
  const peers: { close(): Promise<void> }[] = [];
  try {
    await healthy(partner, 30_000);
    const hostTeacher = await teacherSocket(host.httpUrl);
    const { code } = await hostTeacher.request('lesson.start', { title: '名师课堂' });
    await hostTeacher.request('room.join');
    const pub = new WeriftPublisher();
    peers.push(pub);
    const producerId = await pub.publish(hostTeacher);

    // The kiosk lists the partner classrooms by name, without keys or addresses.
    const partnerUrl = `http://127.0.0.1:${partner.httpPort}`;
    const partnerApi = new ApiClient(partnerUrl);
    await partnerApi.loginTeacher(TEACHER.username, TEACHER.pin);
    assert.deepEqual((await partnerApi.get('/api/v1/media/partners')).body, [
      { applianceId: 'school-a-201', name: '县一中 初二(3)班', canLink: true },
      { applianceId: 'school-d-404', name: 'school-d-404', canLink: false },
    ]);

    const partnerTeacher = await teacherSocket(partnerUrl);
    // The teacher names a listed partner; an address from the request is not accepted at all.
    await assert.rejects(
      partnerTeacher.request('partner.link', { url: hostMediaUrl, code }),
      /invalid_input: partner.link: data must have required property 'partnerId'|additional properties/,
    );
    await assert.rejects(
      partnerTeacher.request('partner.link', { partnerId: 'school-x-999', code }),
      /forbidden: partnerId: 'school-x-999' is not a partner classroom of this appliance/,
    );
    await assert.rejects(
      partnerTeacher.request('partner.link', { partnerId: 'school-d-404', code }),
      /forbidden: partnerId: 'school-d-404' has no url in media.partners/,
    );
    await assert.rejects(
      partnerTeacher.request('partner.link', { partnerId: 'school-a-201', code: 'ABCDEFGH' }),
      /code: no lesson with this join code/,
    );
    const linked = await partnerTeacher.request('partner.link', { partnerId: 'school-a-201', code });
    assert.match(linked.code, /^[A-HJ-NP-Z2-9]{8}$/);
    const joined = await hostTeacher.event('participant.joined', (d) => d.role === 'partner');
    assert.equal(joined.name, 'school-b-301');

    // A viewer in the partner classroom joins the partner appliance with the partner's code.
    const vc = await MediaClient.connect(`ws://127.0.0.1:${partner.httpPort}/api/v1/media?code=${linked.code}`);
    const vj = await vc.request('room.join', { name: '乡村教学点' });
    const relayed =
      vj.producers.find((p: { producerId: string }) => p.producerId === producerId) ??
      (await vc.event('producer.added', (d) => d.producerId === producerId));
    assert.equal(relayed.origin, 'partner');
    const c = new WeriftConsumer();
    peers.push(c);
    await c.consume(vc, producerId);
    await waitFor(() => (c.packets >= 5 ? true : undefined), 'host RTP at the partner’s viewer', 30_000);
    assert.ok(c.payloadTypes.every((pt) => pt === c.consumerPayloadType));

    const during = await media(host).dump();
    const p = during?.participants.find((x) => x.role === 'partner');
    assert.equal(p?.transports, 1, 'one pipe for the whole partner classroom');
    assert.equal(p?.consumers, 1);

    // The partner's process dies: the host closes the pipe and forgets the partner.
    partner.child.kill('SIGKILL');
    await partner.exited;
    await hostTeacher.event('participant.left', (d) => d.participantId === joined.participantId, 20_000);
    const after = await media(host).dump();
    assert.deepEqual(
      after?.participants.map((x) => x.role),
      ['teacher'],
    );
    assert.equal(after?.workerTransports, 1, 'only the teacher’s own transport remains in the worker');
    hostTeacher.close();
  } finally {
    for (const x of peers) await x.close();
    partner.child.kill('SIGKILL');
    await host.stop();
    hostDir.cleanup();
    partnerDir.cleanup();
  }
});

test('a partner with a key the host does not trust is refused', async () => {
  const host = await startTestAppliance(
    `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1, applianceId: school-a-201, partners: [] }\n`,
  );
  await seedAccounts(host);
  try {
    const tc = await teacherSocket(host.httpUrl);
    const { code } = await tc.request('lesson.start', {});
    const ws = await MediaClient.connect(`${host.httpUrl.replace('http', 'ws')}/api/v1/media?partner=1`);
    await ws.event('media.hello');
    await assert.rejects(
      ws.request('partner.hello', { applianceId: 'school-x', code, signature: 'AAAA', nonce: 'n'.repeat(32) }),
      /forbidden: applianceId: 'school-x' is not a partner of this classroom/,
    );
    // A partner socket may not act as a viewer or teacher.
    await assert.rejects(ws.request('room.join'), /forbidden/);
    ws.close();
    tc.close();
  } finally {
    await host.stop();
  }
});

/**
 * Hosts that misbehave, as a listed partner could: each path of one WebSocket server plays one.
 * `relay` passes everything on to a real host appliance, as a host that a partner trusts might
 * try in order to get into another classroom's lesson with the partner's signature.
 */
interface HostileHosts {
  wsUrl(behaviour: string): string;
  /** A TCP port that accepts and never answers (not even the WebSocket upgrade). */
  silentUrl: string;
  /** What the real host answered the relayed partner.hello. */
  relayed: { ok?: boolean; error?: string; message?: string }[];
  close(): Promise<void>;
}

async function hostileHosts(o: {
  hostKeyPem: string;
  impostorKeyPem: string;
  relayTo: () => string;
}): Promise<HostileHosts> {
  const hostKey = privateKeyFrom(o.hostKeyPem);
  const impostorKey = privateKeyFrom(o.impostorKeyPem);
  const relayed: HostileHosts['relayed'] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => undefined);
    const behaviour = (req.url ?? '').split('/')[1] ?? '';
    const hostId = `host-${behaviour}`;
    if (behaviour === 'mute') return; // accepts the socket, never sends its challenge
    if (behaviour === 'relay') {
      const upstream = new WebSocket(`${o.relayTo()}?partner=1`);
      upstream.on('error', () => ws.close());
      upstream.on('close', () => ws.close());
      upstream.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { id?: number; ok?: boolean; error?: string; message?: string };
        if (m.id !== undefined) relayed.push(m);
        ws.send(String(raw));
      });
      ws.on('message', (raw) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(String(raw));
      });
      return;
    }
    const challenge = 'c'.repeat(22);
    ws.send(JSON.stringify({ type: 'media.hello', data: { challenge } }));
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as {
        id: number;
        method: string;
        data: { applianceId: string; nonce: string };
      };
      if (m.method === 'partner.hello') {
        const key = behaviour === 'impostor' ? impostorKey : hostKey;
        const hostSignature = signText(hostSigningText(m.data.nonce, hostId, m.data.applianceId, challenge), key);
        ws.send(
          JSON.stringify({
            id: m.id,
            ok: true,
            data: { roomId: 'r1', participantId: 'p1', title: 'hostile', hostId, hostSignature },
          }),
        );
      } else if (m.method === 'partner.pipe' && behaviour === 'refuse') {
        ws.send(JSON.stringify({ id: m.id, ok: false, error: 'conflict', message: 'no pipe for you' }));
      }
      // 'stall': partner.pipe is never answered.
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const wsPort = (wss.address() as AddressInfo).port;
  const held = new Set<Socket>();
  const silent: Server = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  return {
    wsUrl: (b) => `ws://127.0.0.1:${wsPort}/${b}/api/v1/media`,
    silentUrl: `ws://127.0.0.1:${silentPort}/api/v1/media`,
    relayed,
    close: async () => {
      for (const s of sockets) s.terminate();
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    },
  };
}

test('partner.link: a host that does not answer times out at each step, a refusing or impostor host is left, and nothing stays behind; a signature relayed to another host is refused there', async () => {
  const partnerDir = keyedDir();
  const hostileKey = newKeyPair();
  const impostor = newKeyPair();
  // The real host the relay tries to get into: it trusts the partner's key.
  const realDir = keyedDir();
  const real = await startTestAppliance(
    `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-c-101\n    partners:\n      - { applianceId: school-b-301, publicKeyPem: ${pem(partnerDir.publicKeyPem)} }\n`,
    { keepDir: realDir.path },
  );
  const realMediaUrl = `${real.httpUrl.replace('http', 'ws')}/api/v1/media`;
  const hostile = await hostileHosts({
    hostKeyPem: hostileKey.privateKeyPem,
    impostorKeyPem: impostor.privateKeyPem,
    relayTo: () => realMediaUrl,
  });
  const listed = (behaviour: string, url = hostile.wsUrl(behaviour)) =>
    `      - { applianceId: host-${behaviour}, url: ${url}, publicKeyPem: ${pem(hostileKey.publicKeyPem)} }\n`;
  let partner: TestAppliance | undefined;
  try {
    partner = await startTestAppliance(
      `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-b-301\n    partnerTimeoutSeconds: 1\n    partners:\n${listed('silent', hostile.silentUrl)}${listed('mute')}${listed('stall')}${listed('refuse')}${listed('impostor')}${listed('relay')}`,
      { keepDir: partnerDir.path },
    );
    await seedAccounts(partner);
    await seedAccounts(real);
    const realTeacher = await teacherSocket(real.httpUrl);
    const { code } = await realTeacher.request('lesson.start', { title: '专递课堂' });
    const tc = await teacherSocket(partner.httpUrl);
    const p = media(partner);
    const nothingLeft = async (why: string) => {
      assert.equal(await p.dump(), undefined, `${why}: no relay room`);
      assert.deepEqual(await p.workerResources(), { routers: 0, transports: 0 }, `${why}: no router, no transport`);
    };

    const refusals: [string, RegExp][] = [
      ['silent', /timeout: host appliance: connecting to 127\.0\.0\.1:\d+ did not finish within 1 s/],
      ['mute', /timeout: host appliance: the host's challenge \(media\.hello\) did not finish within 1 s/],
      ['impostor', /forbidden: hostSignature: the appliance at 127\.0\.0\.1:\d+ did not prove the key listed/],
      ['refuse', /conflict: host appliance: no pipe for you/],
      ['stall', /timeout: host appliance: partner\.pipe did not finish within 1 s/],
    ];
    for (const [behaviour, expected] of refusals) {
      const started = Date.now();
      await assert.rejects(tc.request('partner.link', { partnerId: `host-${behaviour}`, code }), expected);
      assert.ok(Date.now() - started < 5000, `${behaviour}: given up within the step timeout`);
      await nothingLeft(behaviour);
    }

    // A trusted host relays the real host's challenge: the partner's signature names the relay
    // (host-relay), so the real host (school-c-101) refuses it and admits nobody.
    await assert.rejects(
      tc.request('partner.link', { partnerId: 'host-relay', code }),
      /forbidden: host appliance: signature: does not verify with the key enrolled for 'school-b-301'/,
    );
    assert.equal(hostile.relayed.length, 1);
    assert.equal(hostile.relayed[0]?.ok, false);
    await nothingLeft('relay');
    const realRoom = await media(real).dump();
    assert.deepEqual(
      realRoom?.participants.map((x) => x.role),
      [],
      'the real host admitted no partner',
    );
    const audit = real.appliance.store.audit.list({ limit: 50, action: 'media.partner.link' }).map((a) => a.result);
    assert.deepEqual(audit, ['denied']);

    // The partner's audit has each refused link: a key check failed, denied; unanswered or refused
    // by the host for another reason, error.
    const refused = partner.appliance.store.audit
      .list({ limit: 50, action: 'media.partner.join' })
      .map((a) => a.result);
    assert.deepEqual(refused.sort(), ['denied', 'denied', 'error', 'error', 'error', 'error']);
    realTeacher.close();
    tc.close();
  } finally {
    await partner?.stop();
    await hostile.close();
    await real.stop();
    rmSync(partnerDir.path, { recursive: true, force: true });
    realDir.cleanup();
  }
});

test('over wss:// the partner accepts only the host certificate listed for it (appliances’ certificates are self-signed)', async () => {
  const hostDir = keyedDir();
  const partnerDir = keyedDir();
  const certs = tempDir();
  const cert = generateSelfSigned({ dataDir: certs.path, days: 30, hosts: ['localhost', '127.0.0.1'] });
  const other = generateSelfSigned({ dataDir: join(certs.path, 'other'), days: 30, hosts: ['127.0.0.1'] });
  const host = await startTestAppliance(
    `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-a-201\n    partners:\n      - { applianceId: school-b-301, publicKeyPem: ${pem(partnerDir.publicKeyPem)} }\n`,
    { keepDir: hostDir.path, tls: { certFile: cert.certFile, keyFile: cert.keyFile } },
  );
  assert.match(host.httpUrl, /^https:/);
  const wss = `${host.httpUrl.replace('https', 'wss')}/api/v1/media`;
  const entry = (id: string, fingerprint?: string) =>
    `      - { applianceId: ${id}, url: ${wss}, publicKeyPem: ${pem(hostDir.publicKeyPem)}${fingerprint ? `, tlsFingerprint256: "${fingerprint}"` : ''} }\n`;
  let partner: TestAppliance | undefined;
  try {
    // Listed three times: unpinned, pinned to another certificate, pinned to the host's own.
    partner = await startTestAppliance(
      `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-b-301\n    partnerTimeoutSeconds: 5\n    partners:\n${entry('school-x-unpinned')}${entry('school-x-other', other.info.fingerprint256)}${entry('school-a-201', cert.info.fingerprint256.toLowerCase())}`,
      { keepDir: partnerDir.path },
    );
    await seedAccounts(host);
    await seedAccounts(partner);
    // The host's own teacher uses the panel's plain loopback port.
    const hostTeacher = await teacherSocket(`http://127.0.0.1:${host.appliance.http.port}`);
    const { code } = await hostTeacher.request('lesson.start', {});
    const tc = await teacherSocket(partner.httpUrl);
    await assert.rejects(
      tc.request('partner.link', { partnerId: 'school-x-unpinned', code }),
      /media_error: cannot reach the host appliance at 127\.0\.0\.1:\d+: self[- ]signed certificate/,
    );
    await assert.rejects(
      tc.request('partner.link', { partnerId: 'school-x-other', code }),
      /forbidden: tlsFingerprint256: the appliance at 127\.0\.0\.1:\d+ presented a certificate with fingerprint/,
    );
    assert.deepEqual(await media(partner).workerResources(), { routers: 0, transports: 0 });
    assert.equal(
      await media(host)
        .dump()
        .then((d) => d?.participants.length),
      0,
      'the host admitted nobody',
    );
    const linked = await tc.request('partner.link', { partnerId: 'school-a-201', code });
    assert.match(linked.code, /^[A-HJ-NP-Z2-9]{8}$/);
    assert.deepEqual(
      (await media(host).dump())?.participants.map((x) => [x.role, x.name, x.transports]),
      [['partner', 'school-b-301', 1]],
      'linked over the pinned wss:// socket, its pipe in place',
    );
    hostTeacher.close();
    tc.close();
  } finally {
    await partner?.stop();
    await host.stop();
    hostDir.cleanup();
    partnerDir.cleanup();
    certs.cleanup();
  }
});

test('Chromium: the partner teacher picks the host classroom by name on the kiosk, types its code and receives its camera', async () => {
  const hostDir = keyedDir();
  const partnerDir = keyedDir();
  const host = await startTestAppliance(
    `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-a-201\n    partners:\n      - { applianceId: school-b-301, name: "乡村教学点", publicKeyPem: ${pem(partnerDir.publicKeyPem)} }\n`,
    { keepDir: hostDir.path },
  );
  const hostMediaUrl = `${host.httpUrl.replace('http', 'ws')}/api/v1/media`;
  let partner: TestAppliance | undefined;
  const browser = await launchChromium(FAKE_MEDIA);
  try {
    partner = await startTestAppliance(
      `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    applianceId: school-b-301\n    partners:\n      - { applianceId: school-a-201, name: "县一中 初二(3)班", url: ${hostMediaUrl}, publicKeyPem: ${pem(hostDir.publicKeyPem)} }\n`,
      { keepDir: partnerDir.path },
    );
    await seedAccounts(host);
    await seedAccounts(partner);
    const hostPage = await (await browser.newContext()).newPage();
    const code = await teacherStartsLesson(hostPage, host.httpUrl);

    const page = await (await browser.newContext()).newPage();
    await page.goto(partner.httpUrl);
    await page.click(`[data-testid=teacher-${TEACHER.username}]`);
    for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
    await page.click('[data-testid=pin-ok]');
    await page.waitForSelector('[data-testid=home]');
    await page.goto(`${partner.httpUrl}/#/remote`);
    await page.waitForSelector('[data-testid=partner-select]');
    assert.deepEqual(await page.locator('[data-testid=partner-select] option').allTextContents(), ['县一中 初二(3)班']);

    // A wrong code: the host's refusal is shown, and the panel stays on the form.
    await page.fill('[data-testid=partner-code]', 'ZZZZZZZZ');
    await page.click('[data-testid=partner-link]');
    await page.waitForSelector('[data-testid=partner-link-error]');
    assert.match(
      (await page.textContent('[data-testid=partner-link-error]')) ?? '',
      /code: no lesson with this join code/,
    );
    assert.equal(await media(partner).dump(), undefined, 'no relay room after the refusal');

    await page.fill('[data-testid=partner-code]', code.toLowerCase());
    await page.click('[data-testid=partner-link]');
    await page.waitForSelector('[data-testid=remote-code]');
    await page.waitForSelector('[data-testid=stream-camera] video');
    await waitFor(
      async () =>
        (await page.evaluate<number>(
          "document.querySelector('[data-testid=stream-camera] video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0",
        )) > 0
          ? true
          : undefined,
      "the host's camera decoded on the partner's kiosk",
      30_000,
    );
    // The host teacher sees the partner classroom among the participants.
    await hostPage.waitForSelector('[data-testid=person-partner]');
    assert.match((await hostPage.textContent('[data-testid=person-partner]')) ?? '', /乡村教学点/);
  } finally {
    await browser.close();
    await partner?.stop();
    await host.stop();
    hostDir.cleanup();
    partnerDir.cleanup();
  }
});
