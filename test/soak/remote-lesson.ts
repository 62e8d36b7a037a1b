import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { descendants } from './priority.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { newKeyPair } from '../../edge/security/signing.js';
import { applianceKey } from '../../edge/sync/keys.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { healthy, spawnAppliance, type ChildAppliance } from '../helpers/child.js';
import { MediaClient, WeriftConsumer, WeriftPublisher } from '../helpers/media-peer.js';

/** The media component's id towards its partners, and the two partner classrooms of the soak. */
export const HOST_MEDIA_ID = 'soak-room';
const PARTNER_IDS = ['partner-b-301', 'partner-c-101'] as const;
export const VIEWERS = 8;
/** Teacher's camera: small VP8 frames at 15 fps (what the SFU forwards, not what a codec costs). */
const FRAME_MS = 66;

interface Partner {
  id: string;
  dir: { path: string; cleanup(): void };
  publicKeyPem: string;
  app?: ChildAppliance;
  teacher?: MediaClient;
  publisher?: WeriftPublisher;
}

/** Who is in a remote lesson on the harness's side: sockets and WebRTC peers, all closed at its end. */
interface Session {
  teacher: MediaClient;
  publisher: WeriftPublisher;
  viewers: { client: MediaClient; consumer: WeriftConsumer }[];
}

/** The mediasoup worker processes under the appliance's node process (by their command line). */
export function mediaWorkerPids(appPid: number): number[] {
  return descendants(appPid).filter((p) => {
    try {
      return p !== appPid && /mediasoup-worker/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/**
 * The remote lesson of the soak: the appliance hosts it; two partner classrooms (real ClassEdge
 * appliances in their own processes, each with its own key, listed by the host and listing it) link
 * to it and send their teacher's camera through their SRTP pipe; eight viewers (werift WebRTC peers,
 * ICE, DTLS and SRTP for real) watch the host teacher's camera.
 */
export class RemoteClassrooms {
  readonly partners: Partner[] = PARTNER_IDS.map((id) => {
    const dir = tempDir(`classedge-soak-${id}-`);
    const key = newKeyPair();
    mkdirSync(join(dir.path, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir.path, 'keys', 'appliance.key'), key.privateKeyPem, { mode: 0o600 });
    return { id, dir, publicKeyPem: key.publicKeyPem };
  });
  /** Viewers that received the teacher's camera, per lesson; partner streams the host received. */
  readonly results: { viewersReceiving: number; partnerStreams: number; workerKilled?: boolean }[] = [];

  constructor(
    readonly hostDataDir: string,
    readonly teacherLogin: { username: string; pin: string },
  ) {}

  /** The host's media component, for its configuration (after its key exists: see hostKey()). */
  componentYaml(): string[] {
    return [
      '  - type: media',
      '    name: media',
      '    listenIp: 127.0.0.1',
      '    workers: 1',
      `    applianceId: ${HOST_MEDIA_ID}`,
      '    partners:',
      ...this.partners.map((p) => `      - { applianceId: ${p.id}, publicKeyPem: ${JSON.stringify(p.publicKeyPem)} }`),
    ];
  }

  /** The host's appliance key, made now (as its first start would) so that the partners can list it. */
  hostKey(): string {
    return applianceKey(this.hostDataDir).publicKeyPem;
  }

  /** The two partner appliances, started once and left running all week. */
  async start(hostHttpPort: number): Promise<void> {
    const hostKeyPem = this.hostKey();
    for (const p of this.partners) {
      const configFile = join(p.dir.path, 'config.yaml');
      writeFileSync(
        configFile,
        [
          'log: { level: warn }',
          'http: { host: 127.0.0.1 }',
          'mqtt: { host: 127.0.0.1 }',
          'components:',
          '  - type: media',
          '    name: media',
          '    listenIp: 127.0.0.1',
          '    workers: 1',
          `    applianceId: ${p.id}`,
          '    partners:',
          `      - { applianceId: ${HOST_MEDIA_ID}, name: "示范校 初二(3)班", url: "ws://127.0.0.1:${hostHttpPort}/api/v1/media", publicKeyPem: ${JSON.stringify(hostKeyPem)} }`,
          '',
        ].join('\n'),
      );
      const add = spawnSync(
        process.execPath,
        [CLI, 'user', 'add', this.teacherLogin.username, '--role', 'teacher', '--data-dir', p.dir.path],
        { input: `${this.teacherLogin.pin}\n`, encoding: 'utf8' },
      );
      if (add.status !== 0) throw new Error(`partner ${p.id}: user add: ${add.stderr}`);
      p.app = await spawnAppliance(p.dir.path, ['--config', configFile]);
      await healthy(p.app, 120_000);
      // Their logs are warnings only; keep the last few for a failure message, not a week of them.
      for (const a of [p.app.stdout, p.app.stderr])
        setInterval(() => a.splice(0, Math.max(0, a.length - 50)), 60_000).unref();
    }
  }

  async #teacherSocket(httpPort: number): Promise<MediaClient> {
    const api = new ApiClient(`http://127.0.0.1:${httpPort}`);
    await api.loginTeacher(this.teacherLogin.username, this.teacherLogin.pin);
    return MediaClient.connect(`ws://127.0.0.1:${httpPort}/api/v1/media`, { cookie: api.cookie ?? '' });
  }

  /** Teacher publishes, eight viewers join with the code and consume; returns who is connected. */
  async #join(hostHttpPort: number, teacher: MediaClient, code: string): Promise<Session> {
    await teacher.request('room.join');
    const publisher = new WeriftPublisher();
    const producerId = await publisher.publish(teacher, 'camera', { frameMs: FRAME_MS });
    const viewers: Session['viewers'] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const client = await MediaClient.connect(`ws://127.0.0.1:${hostHttpPort}/api/v1/media?code=${code}`);
      await client.request('room.join', { name: `家长 ${i + 1}` });
      const consumer = new WeriftConsumer();
      await consumer.consume(client, producerId);
      viewers.push({ client, consumer });
    }
    return { teacher, publisher, viewers };
  }

  async #receiving(s: Session, timeoutMs: number): Promise<number> {
    const base = s.viewers.map((v) => v.consumer.packets);
    const moved = (): number => s.viewers.filter((v, i) => v.consumer.packets > (base[i] ?? 0) + 5).length;
    await waitFor(
      () => (moved() === s.viewers.length ? true : undefined),
      'every viewer receiving',
      timeoutMs,
      250,
    ).catch(() => undefined);
    return moved();
  }

  async #leave(s: Session | undefined): Promise<void> {
    if (!s) return;
    for (const v of s.viewers) {
      v.client.close();
      await v.consumer.close().catch(() => undefined);
    }
    await s.publisher.close().catch(() => undefined);
  }

  /**
   * A remote lesson of `ms`: started by the host's teacher, both partners linked and sending, eight
   * viewers watching. With `killWorker`, the media worker is killed -9 half-way: the appliance must
   * start another, tell everyone to join again, and the viewers must receive again after they do.
   */
  async lesson(hostHttpPort: number, appPid: number, ms: number, killWorker = false): Promise<string> {
    const end = Date.now() + ms;
    const teacher = await this.#teacherSocket(hostHttpPort);
    let session: Session | undefined;
    const partnerTeachers: MediaClient[] = [];
    const partnerPublishers: WeriftPublisher[] = [];
    let ended = false;
    try {
      const { code } = (await teacher.request('lesson.start', { title: '同步课堂' })) as { code: string };
      session = await this.#join(hostHttpPort, teacher, code);
      for (const p of this.partners) {
        const pt = await this.#teacherSocket((p.app as ChildAppliance).httpPort);
        partnerTeachers.push(pt);
        await pt.request('partner.link', { partnerId: HOST_MEDIA_ID, code });
        await pt.request('room.join');
        const pub = new WeriftPublisher();
        partnerPublishers.push(pub);
        await pub.publish(pt, 'camera', { frameMs: FRAME_MS * 2 });
      }
      const partnerStreams = (): number =>
        new Set(
          teacher.events
            .filter((e) => e.type === 'producer.added' && e.data?.origin === 'partner')
            .map((e) => e.data.producerId as string),
        ).size;
      await waitFor(
        () => (partnerStreams() >= this.partners.length ? true : undefined),
        'both partner cameras at the host',
        30_000,
        250,
      );
      let receiving = await this.#receiving(session, 30_000);
      if (receiving < VIEWERS) throw new Error(`${receiving} of ${VIEWERS} viewers received the teacher's camera`);
      const result: (typeof this.results)[number] = { viewersReceiving: receiving, partnerStreams: partnerStreams() };
      if (killWorker) {
        await new Promise((r) => setTimeout(r, Math.max(0, (end - Date.now()) / 2)));
        const before = mediaWorkerPids(appPid);
        if (before.length === 0) throw new Error(`no mediasoup worker under the appliance (pid ${appPid})`);
        for (const pid of before) process.kill(pid, 'SIGKILL');
        const after = await waitFor(
          () => {
            const now = mediaWorkerPids(appPid).filter((p) => !before.includes(p));
            return now.length > 0 ? now : undefined;
          },
          'a new mediasoup worker',
          30_000,
          250,
        );
        await teacher.event('room.closed', (d) => d?.reason === 'restarting', 30_000);
        // Everyone joins again, as the kiosk and the viewer page do when told the room restarted.
        await this.#leave(session);
        session = await this.#join(hostHttpPort, teacher, code);
        receiving = await this.#receiving(session, 30_000);
        if (receiving < VIEWERS)
          throw new Error(`after the worker restart ${receiving} of ${VIEWERS} viewers received the teacher's camera`);
        result.workerKilled = true;
        result.viewersReceiving = receiving;
        this.results.push(result);
        await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
        await teacher.request('lesson.end');
        ended = true;
        return `worker ${before.join(',')} killed, ${after.join(',')} started; ${receiving} viewers receiving again`;
      }
      this.results.push(result);
      await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
      receiving = await this.#receiving(session, 10_000);
      if (receiving < VIEWERS) throw new Error(`at the end ${receiving} of ${VIEWERS} viewers were still receiving`);
      await teacher.request('lesson.end');
      ended = true;
      return `${receiving} viewers receiving, ${result.partnerStreams} partner cameras`;
    } finally {
      // A lesson that failed half-way is ended too, so that the next one can start.
      if (!ended) await teacher.request('lesson.end').catch(() => undefined);
      await this.#leave(session);
      for (const p of partnerPublishers) await p.close().catch(() => undefined);
      for (const t of partnerTeachers) t.close();
      teacher.close();
    }
  }

  async close(): Promise<void> {
    for (const p of this.partners) {
      const app = p.app;
      if (app && app.child.exitCode === null) {
        app.child.kill('SIGTERM');
        const t = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
        await app.exited;
        clearTimeout(t);
      }
      p.dir.cleanup();
    }
  }
}
