import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { MediaClient, WeriftConsumer, WeriftPublisher } from '../helpers/media-peer.js';
import { newKeyPair } from '../../edge/security/signing.js';
import type { MediaService } from '../../edge/media/media-service.js';

async function teacherSocket(httpUrl: string): Promise<MediaClient> {
  const api = new ApiClient(httpUrl);
  await api.loginTeacher(TEACHER.username, TEACHER.pin);
  return MediaClient.connect(`${httpUrl.replace('http', 'ws')}/api/v1/media`, { cookie: api.cookie ?? '' });
}

function media(t: TestAppliance): MediaService {
  return t.appliance.registry.all().find((c) => c.kind === 'media') as MediaService;
}

test('classroom to classroom: a partner appliance (another process) links by its enrolled key; its viewer receives the host’s stream; killing it frees the host', async () => {
  // The partner classroom's appliance identity: its Ed25519 key, whose public half the host
  // trusts (as the district's signed configuration would distribute it).
  const partnerDir = tempDir();
  mkdirSync(join(partnerDir.path, 'keys'), { recursive: true, mode: 0o700 });
  const partnerKey = newKeyPair();
  writeFileSync(join(partnerDir.path, 'keys', 'appliance.key'), partnerKey.privateKeyPem, { mode: 0o600 });
  const stranger = newKeyPair();
  const trusted = (pem: string) => JSON.stringify(pem);
  const host = await startTestAppliance(
    `components:\n  - type: media\n    name: media\n    listenIp: 127.0.0.1\n    workers: 1\n    partners:\n      - { applianceId: school-b-301, publicKeyPem: ${trusted(partnerKey.publicKeyPem)} }\n      - { applianceId: school-c-101, publicKeyPem: ${trusted(stranger.publicKeyPem)} }\n`,
  );
  await seedAccounts(host);
  const configFile = join(partnerDir.path, 'config.yaml');
  writeFileSync(
    configFile,
    `log: { level: warn }\nhttp: { host: 127.0.0.1 }\nmqtt: { host: 127.0.0.1 }\ncomponents:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1, applianceId: school-b-301 }\n`,
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
    const hostMediaUrl = `${host.httpUrl.replace('http', 'ws')}/api/v1/media`;

    // A shared password is not enough: a partner whose key does not match is refused.
    const partnerUrl = `http://127.0.0.1:${partner.httpPort}`;
    const partnerTeacher = await teacherSocket(partnerUrl);
    await assert.rejects(
      partnerTeacher.request('partner.link', { url: hostMediaUrl, code: 'ABCDEFGH' }),
      /code: no lesson with this join code/,
    );
    const linked = await partnerTeacher.request('partner.link', { url: hostMediaUrl, code });
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
    partnerDir.cleanup();
  }
});

test('a partner with a key the host does not trust is refused', async () => {
  const host = await startTestAppliance(
    `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1, partners: [] }\n`,
  );
  await seedAccounts(host);
  try {
    const tc = await teacherSocket(host.httpUrl);
    const { code } = await tc.request('lesson.start', {});
    const ws = await MediaClient.connect(`${host.httpUrl.replace('http', 'ws')}/api/v1/media?partner=1`);
    await ws.event('media.hello');
    await assert.rejects(
      ws.request('partner.hello', { applianceId: 'school-x', code, signature: 'AAAA' }),
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
