import type { IncomingMessage } from 'node:http';
import type { AuditAction } from '../audit-actions.js';
import type { Duplex } from 'node:stream';
import { availableParallelism } from 'node:os';
import type { types } from 'mediasoup';
import type * as Mediasoup from 'mediasoup';
import { BaseComponent } from '../runtime/component.js';
import type { ComponentContext } from '../runtime/context.js';
import type { MediaConfig } from './media.kind.js';
import type { MediaMethod, MediaRequests } from '../messages.js';
import { MediaHub, type ApplianceMediaReplies, type MediaConnection, type MediaHandler } from './signalling.js';
import { Room, type Label, type Participant } from './room.js';
import { ClassroomCamera } from './camera.js';
import { HostConnection, hostSigningText, partnerSigningText } from './partner-link.js';
import { loadMediasoup, preparingDetail, workerReadiness, type WorkerReadiness } from './worker-bin.js';
import { randomBytes } from 'node:crypto';
import { ClassEdgeError, ConflictError, NotFoundError, NotReadyError, errorMessage } from '../errors.js';
import type { UpgradeTarget } from '../api/upgrade-guard.js';
import type { UpgradeAuth } from '../api/context.js';
import type { MediaLessonInfo } from '../runtime/capabilities.js';
import { applianceKey, readEnrolment } from '../sync/keys.js';
import { signText, verifyText } from '../security/signing.js';

/** Streams one participant may receive at once (cameras, screens and partners of a lesson fit easily). */
const MAX_CONSUMERS_PER_PARTICIPANT = 32;

/** Codecs every lesson router offers: Opus, VP8 (simulcast), H.264 baseline (hardware decoders). */
const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

const MAX_TRANSPORTS_PER_PARTICIPANT = 4;
const MAX_PRODUCERS_PER_PARTICIPANT = 4;
/** How often a component waiting for its worker binary looks again (the build takes minutes). */
const WORKER_POLL_MS = 2000;

export interface RoomDump {
  roomId: string;
  code: string;
  participants: {
    participantId: string;
    name: string;
    role: string;
    transports: number;
    producers: number;
    consumers: number;
  }[];
  producers: number;
  /** Transports alive in the workers, counted from mediasoup's own dump. */
  workerTransports: number;
}

/**
 * The classroom's SFU: mediasoup workers (one per core), one remote lesson at a time on a router,
 * browsers on WebRtcTransports, partner classrooms on one SRTP PipeTransport each, the classroom
 * camera through ffmpeg and a PlainTransport. Signalling: MediaHub on /api/v1/media.
 * docs/remote-lesson.md.
 */
export class MediaService extends BaseComponent implements MediaHandler {
  readonly name: string;
  readonly kind = 'media';
  readonly #ctx: ComponentContext;
  readonly #c: MediaConfig;
  #ms: typeof Mediasoup | undefined;
  readonly #workers: types.Worker[] = [];
  #hub: MediaHub | undefined;
  #room: Room | undefined;
  #camera: { cam: ClassroomCamera; source: string } | undefined;
  /** Partner side: the link to the host appliance whose lesson this classroom relays. */
  #link: { host: HostConnection; pipe: types.PipeTransport; hostParticipant: Participant } | undefined;
  /** A partner.link under way (one at a time: the second would find no #link yet and build another). */
  #linking: { host: HostConnection | undefined } | undefined;
  #stopping = false;
  /** While the worker binary is being built: the next look (one at a time: each schedules the next). */
  #poll: NodeJS.Timeout | undefined;
  #counters = { workerRestarts: 0, lessonsStarted: 0, vanished: 0, partnerLinks: 0 };
  /** Worker replacements under way (#replaceWorker). */
  #replacing = 0;

  constructor(ctx: ComponentContext, config: MediaConfig) {
    super();
    this.#ctx = ctx;
    this.#c = config;
    this.name = config.name;
  }

  protected override counters(): Record<string, number> {
    const r = this.#room;
    let consumers = 0;
    for (const p of r?.participants.values() ?? []) consumers += p.consumers.size;
    return {
      workers: this.#workers.length,
      lessons: r ? 1 : 0,
      participants: r?.participants.size ?? 0,
      producers: r?.producers.size ?? 0,
      consumers,
      ...this.#counters,
      ...(this.#hub?.counters ?? { guestsRefused: 0, notAdmitted: 0, idleClosed: 0 }),
    };
  }

  /** Worker pids (for RSS measurements and the worker-death test). */
  workerPids(): number[] {
    return this.#workers.map((w) => w.pid);
  }

  /**
   * With the worker binary there, resolves once the workers run. Without it (a bare machine builds
   * it in the background for minutes) the appliance must not wait: the state says 'starting' with
   * the build's progress, and the workers start when the binary arrives, without a restart.
   */
  async start(signal: AbortSignal): Promise<void> {
    this.#stopping = false;
    this.setState('starting');
    const ready = workerReadiness();
    if (ready.state === 'unavailable') throw new ClassEdgeError('media_error', ready.problem);
    if (ready.state === 'ready') {
      await this.#startWorkers(ready.bin.path);
      return;
    }
    this.#showWaiting(ready);
    const onAbort = (): void => {
      clearTimeout(this.#poll);
      this.#poll = undefined;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const look = async (): Promise<void> => {
      this.#poll = undefined;
      if (this.#stopping || signal.aborted) return;
      try {
        const r = workerReadiness();
        if (r.state === 'ready') {
          signal.removeEventListener('abort', onAbort);
          await this.#startWorkers(r.bin.path);
          return;
        }
        this.#showWaiting(r);
      } catch (err) {
        this.#ctx.log.error({ err: errorMessage(err) }, 'the media workers did not start');
        this.setState('failed', `the media workers did not start: ${errorMessage(err)}`);
        return;
      }
      if (!this.#stopping && !signal.aborted) this.#poll = setTimeout(() => void look(), WORKER_POLL_MS).unref();
    };
    this.#poll = setTimeout(() => void look(), WORKER_POLL_MS).unref();
  }

  #showWaiting(r: Exclude<WorkerReadiness, { state: 'ready' }>): void {
    switch (r.state) {
      case 'building':
        this.setState('starting', preparingDetail(r.percent), r.percent);
        return;
      case 'failed':
        // Still looked at: a build started by hand afterwards is picked up when it ends.
        this.setState('failed', `remote lessons are unavailable: ${r.message}`);
        return;
      case 'missing':
      case 'unavailable':
        this.setState(
          'starting',
          `waiting for the media worker at ${r.path}; build it with bash scripts/build-mediasoup-worker.sh`,
        );
        return;
    }
  }

  async #startWorkers(path: string): Promise<void> {
    this.#ms = await loadMediasoup();
    const n = this.#c.workers || availableParallelism();
    for (let i = 0; i < n; i++) {
      const w = await this.#createWorker(i);
      // stop() came while this one was starting: it found nothing to close.
      if (this.#stopping) {
        w.close();
        return;
      }
      this.#workers.push(w);
    }
    this.setState('running', `${n} mediasoup worker(s), ${path}`);
  }

  /** Lesson requests before the workers run get a reason the kiosk can show, not a crash. */
  #requireWorkers(): void {
    if (this.#workers.length > 0) return;
    throw new NotReadyError(this.detail ?? 'the media workers are not running');
  }

  async #createWorker(slot: number): Promise<types.Worker> {
    const ms = this.#ms;
    if (!ms) throw new Error('mediasoup not loaded');
    const worker = await ms.createWorker({ logLevel: this.#c.workerLogLevel, appData: { slot } });
    worker.on('died', (err) => {
      if (this.#stopping) return;
      this.#counters.workerRestarts++;
      this.#ctx.log.error(
        { slot, pid: worker.pid, err: errorMessage(err) },
        'mediasoup worker died; restarting it and the lesson on it',
      );
      this.setState('degraded', `worker ${slot} died; restarting`);
      void this.#replaceWorker(slot, worker);
    });
    return worker;
  }

  async #replaceWorker(slot: number, dead: types.Worker): Promise<void> {
    this.#replacing++;
    try {
      this.#workers[slot] = await this.#createWorker(slot);
      const room = this.#room;
      if (room && room.routers().some((r) => r.closed || this.#workerOf(r) === dead)) await this.#restartRoom(room);
      // Two workers that die together are replaced one after the other, and the second may move the
      // lesson again: the service is running once the last of them is done, not the first.
      if (this.#replacing === 1)
        this.setState(
          'running',
          `${this.#workers.length} mediasoup worker(s); ${this.#counters.workerRestarts} restart(s)`,
        );
    } catch (err) {
      this.setState('failed', `cannot restart mediasoup worker ${slot}: ${errorMessage(err)}`);
    } finally {
      this.#replacing--;
    }
  }

  #workerOf(router: types.Router): types.Worker | undefined {
    const slot = (router.appData as { slot?: number }).slot;
    return slot === undefined ? undefined : this.#workers[slot];
  }

  /** The least busy worker, avoiding `except` (piping between routers needs two workers). */
  #pickWorker(except: types.Worker[] = []): types.Worker {
    const load = new Map<types.Worker, number>(this.#workers.map((w) => [w, 0]));
    for (const r of this.#room?.routers() ?? []) {
      const w = this.#workerOf(r);
      if (w) load.set(w, (load.get(w) ?? 0) + 1);
    }
    const candidates = this.#workers.filter((w) => !except.includes(w) && !w.closed);
    const pool = candidates.length ? candidates : this.#workers;
    return pool.reduce((a, b) => ((load.get(a) ?? 0) <= (load.get(b) ?? 0) ? a : b));
  }

  async #newRouter(except: types.Worker[] = []): Promise<types.Router> {
    const worker = this.#pickWorker(except);
    return worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { slot: this.#workers.indexOf(worker) } });
  }

  async stop(): Promise<void> {
    clearTimeout(this.#poll);
    this.#poll = undefined;
    if (this.state === 'stopped') return;
    this.setState('stopping');
    this.#stopping = true;
    this.#camera?.cam.stop();
    this.#camera = undefined;
    this.#link?.host.close();
    this.#link = undefined;
    this.#linking?.host?.terminate();
    this.#room?.close();
    this.#room = undefined;
    this.#hub?.close();
    this.#hub = undefined;
    for (const w of this.#workers) w.close();
    this.#workers.length = 0;
    this.setState('stopped');
  }

  /** The HTTP server hands `/api/v1/media` upgrades here. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget, auth: UpgradeAuth): void {
    const c = this.#c;
    this.#hub ??= new MediaHub({
      log: this.#ctx.log,
      auth,
      handler: this,
      limits: {
        admitMs: c.guestAdmitSeconds * 1000,
        maxGuests: c.maxGuestSockets,
        maxGuestsPerAddress: c.maxGuestSocketsPerAddress,
        maxPerCode: () => c.maxViewers,
        idleMs: c.idleTimeoutSeconds * 1000,
      },
    });
    this.#hub.handleUpgrade(req, socket, head, target);
  }

  lesson(): MediaLessonInfo | undefined {
    const r = this.#room;
    if (!r) return undefined;
    const participants = { teachers: 0, viewers: 0, partners: 0 };
    for (const p of r.participants.values()) {
      if (p.role === 'teacher') participants.teachers++;
      else if (p.role === 'viewer') participants.viewers++;
      else if (p.role === 'partner') participants.partners++;
    }
    return { code: r.code, title: r.title, startedAt: r.startedAt, mode: r.mode, participants };
  }

  joinCodeValid(code: string): boolean {
    return this.#room !== undefined && this.#room.code === code;
  }

  /** Participants, producers and the transports mediasoup really holds (tests, doctor, admin). */
  async dump(): Promise<RoomDump | undefined> {
    const r = this.#room;
    if (!r) return undefined;
    let workerTransports = 0;
    for (const router of r.routers()) workerTransports += (await router.dump()).transportIds.length;
    return {
      roomId: r.id,
      code: r.code,
      participants: [...r.participants.values()].map((p) => ({
        participantId: p.id,
        name: p.name,
        role: p.role,
        transports: p.transports.size,
        producers: p.producers.size,
        consumers: p.consumers.size,
      })),
      producers: r.producers.size,
      workerTransports,
    };
  }

  disconnected(conn: MediaConnection): void {
    const room = this.#room;
    if (room && conn.participantId) room.removeParticipant(conn.participantId, 'left');
  }

  #requireRoom(): Room {
    if (!this.#room) throw new NotFoundError('no remote lesson is running; start one first (lesson.start)');
    return this.#room;
  }

  #requireParticipant(conn: MediaConnection): { room: Room; p: Participant } {
    const room = this.#requireRoom();
    const p = conn.participantId ? room.participants.get(conn.participantId) : undefined;
    if (!p) throw new ConflictError('join the lesson first (room.join)');
    return { room, p };
  }

  #transport(p: Participant, id: string): types.Transport {
    const t = p.transports.get(id);
    if (!t) throw new NotFoundError(`transportId: no transport '${id}' of yours`);
    return t;
  }

  handle<M extends MediaMethod>(conn: MediaConnection, method: M, data: MediaRequests[M]): Promise<Reply<M>> {
    try {
      this.#requireWorkers();
    } catch (err) {
      return Promise.reject(err);
    }
    // The switch below pairs each method with its reply; TypeScript cannot follow a generic through it.
    return this.#dispatch(conn, { method, data } as Request) as Promise<Reply<M>>;
  }

  async #dispatch(conn: MediaConnection, r: Request): Promise<Reply<MediaMethod>> {
    switch (r.method) {
      case 'lesson.start':
        return this.#startLesson(conn, r.data.title ?? '');
      case 'lesson.end':
        return this.#endLesson(conn);
      case 'room.join':
        return this.#join(conn, r.data.name);
      case 'transport.create':
        return this.#createTransport(conn, r.data.direction);
      case 'transport.connect': {
        const { p } = this.#requireParticipant(conn);
        await (this.#transport(p, r.data.transportId) as types.WebRtcTransport).connect({
          dtlsParameters: r.data.dtlsParameters as unknown as types.DtlsParameters,
        });
        return {};
      }
      case 'produce':
        return this.#produce(conn, r.data);
      case 'producer.close': {
        const { room, p } = this.#requireParticipant(conn);
        if (!p.producers.has(r.data.producerId))
          throw new NotFoundError(`producerId: no producer '${r.data.producerId}' of yours`);
        // Pipe consumers of it close by themselves; partners hear of it from the broadcast.
        room.dropProducer(r.data.producerId);
        return {};
      }
      case 'consume':
        return this.#consume(conn, r.data);
      case 'consumer.resume': {
        const { p } = this.#requireParticipant(conn);
        const c = p.consumers.get(r.data.consumerId);
        if (!c) throw new NotFoundError(`consumerId: no consumer '${r.data.consumerId}' of yours`);
        await c.resume();
        return {};
      }
      case 'consumer.layers': {
        const { p } = this.#requireParticipant(conn);
        const c = p.consumers.get(r.data.consumerId);
        if (!c) throw new NotFoundError(`consumerId: no consumer '${r.data.consumerId}' of yours`);
        // mediasoup picks the layer the consumer's estimated bandwidth allows, never above this.
        await c.setPreferredLayers({
          spatialLayer: r.data.spatialLayer,
          ...(r.data.temporalLayer !== undefined ? { temporalLayer: r.data.temporalLayer } : {}),
        });
        return {};
      }
      case 'participant.mute':
        return this.#mute(conn, r.data.participantId);
      case 'participant.remove': {
        const room = this.#requireRoom();
        const target = room.participants.get(r.data.participantId);
        if (!target) throw new NotFoundError(`participantId: no participant '${r.data.participantId}' in this lesson`);
        if (target.id === conn.participantId)
          throw new ConflictError('participantId: you cannot remove yourself; end the lesson instead');
        target.conn?.send({ type: 'room.closed', data: { reason: 'removed' } });
        // Removing the classroom camera's entry switches the camera off.
        if (this.#camera && target.producers.has(this.#camera.cam.producer.id)) {
          this.#camera.cam.stop();
          this.#camera = undefined;
        }
        room.removeParticipant(target.id, 'removed');
        target.conn?.close(4001, 'removed by the teacher');
        this.#audit(conn, 'media.participant.remove', { participant: target.name, role: target.role });
        return {};
      }
      case 'camera.start':
        return this.#startCamera(r.data.source);
      case 'camera.stop':
        this.#camera?.cam.stop();
        if (this.#camera) this.#room?.dropProducer(this.#camera.cam.producer.id);
        this.#camera = undefined;
        return {};
      case 'partner.link':
        return this.#linkToHost(conn, r.data.partnerId, r.data.code);
      case 'partner.hello':
        return this.#partnerHello(conn, r.data);
      case 'partner.pipe':
        return this.#partnerPipe(conn, r.data);
      case 'partner.produce': {
        const { room, p } = this.#requireParticipant(conn);
        const pipe = [...p.transports.values()][0] as types.PipeTransport | undefined;
        if (!pipe) throw new ConflictError('partner.pipe first');
        const producer = await pipe.produce({
          id: r.data.producerId,
          kind: r.data.kind,
          rtpParameters: r.data.rtpParameters as unknown as types.RtpParameters,
          paused: r.data.paused,
        });
        this.#addProducer(room, p, producer, r.data.label, 'partner', r.data.name);
        return {};
      }
      case 'partner.unproduce': {
        const { room, p } = this.#requireParticipant(conn);
        if (p.producers.has(r.data.producerId)) room.dropProducer(r.data.producerId);
        return {};
      }
    }
  }

  #audit(
    conn: MediaConnection | undefined,
    action: AuditAction,
    detail: Record<string, unknown>,
    result: 'ok' | 'denied' | 'error' = 'ok',
  ): void {
    this.#ctx.store.audit.record({
      actor: conn?.session ? `${conn.session.role}:${conn.session.username}` : conn ? `${conn.role}` : 'system',
      action,
      result,
      detail,
    });
  }

  /** This appliance's id towards partner classrooms: media.applianceId, else its district enrolment id. */
  #selfId(): string {
    const id = this.#c.applianceId ?? readEnrolment(this.#ctx.config.dataDir)?.applianceId;
    if (!id)
      throw new ConflictError(
        'applianceId: this appliance is not enrolled with the district and media.applianceId is not set',
      );
    return id;
  }

  /** The partner classrooms of media.partners: names, and which ones this classroom may link to. */
  partners(): { applianceId: string; name: string; canLink: boolean }[] {
    return this.#c.partners.map((p) => ({
      applianceId: p.applianceId,
      name: p.name ?? p.applianceId,
      canLink: p.url !== undefined,
    }));
  }

  /** Routers and transports alive in the workers (mediasoup's own dumps): what a refused link must not leave. */
  async workerResources(): Promise<{ routers: number; transports: number }> {
    let routers = 0;
    for (const w of this.#workers) routers += (await w.dump()).routerIds.length;
    let transports = 0;
    for (const r of this.#room?.routers() ?? []) transports += (await r.dump()).transportIds.length;
    return { routers, transports };
  }

  async #startLesson(conn: MediaConnection, title: string): Promise<Reply<'lesson.start'>> {
    if (this.#room?.mode === 'host') return { roomId: this.#room.id, code: this.#room.code };
    if (this.#room) throw new ConflictError('this classroom is relaying a partner lesson; end it first (lesson.end)');
    const room = new Room({ router: await this.#newRouter(), title, mode: 'host' });
    this.#room = room;
    this.#counters.lessonsStarted++;
    // Nothing is recorded: the SFU forwards packets and keeps none (docs/remote-lesson.md).
    this.#audit(conn, 'media.lesson.start', { roomId: room.id, recording: false });
    return { roomId: room.id, code: room.code };
  }

  #endLesson(conn: MediaConnection | undefined): Reply<'lesson.end'> {
    const room = this.#room;
    if (!room) return {};
    this.#camera?.cam.stop();
    this.#camera = undefined;
    this.#link?.host.close();
    this.#link = undefined;
    this.#room = undefined;
    for (const p of room.participants.values()) {
      p.conn?.send({ type: 'room.closed', data: { reason: 'ended' } });
      // Ending the lesson ends its code: viewers and partners are let go, not kept for the next one.
      if (p.role === 'partner' || p.role === 'viewer') p.conn?.close(1000, 'lesson ended');
      if (p.conn) p.conn.participantId = undefined;
    }
    room.close();
    this.#audit(conn, 'media.lesson.end', {
      roomId: room.id,
      minutes: Math.round((Date.now() - room.startedAt) / 60_000),
    });
    return {};
  }

  /** A worker died: the lesson gets new routers (same id and code); everyone is told to join again. */
  async #restartRoom(old: Room): Promise<void> {
    const camera = this.#camera?.source;
    this.#camera?.cam.stop();
    this.#camera = undefined;
    this.#link?.host.close();
    this.#link = undefined;
    old.close();
    const room = new Room({ router: await this.#newRouter(), title: old.title, mode: old.mode, code: old.code });
    Object.defineProperty(room, 'id', { value: old.id });
    this.#room = old.mode === 'host' ? room : undefined;
    for (const p of old.participants.values()) {
      clearTimeout(p.vanishTimer);
      p.conn?.send({ type: 'room.closed', data: { reason: 'restarting' } });
      if (p.role === 'partner') p.conn?.close(1012, 'media worker restarted');
      if (p.conn) p.conn.participantId = undefined;
    }
    if (camera && this.#room)
      await this.#startCamera(camera).catch((err: unknown) =>
        this.#ctx.log.warn({ err: errorMessage(err) }, 'classroom camera did not restart'),
      );
  }

  async #join(conn: MediaConnection, name: string | undefined): Promise<Reply<'room.join'>> {
    const room = this.#requireRoom();
    if (conn.participantId && room.participants.has(conn.participantId))
      throw new ConflictError('already joined on this connection');
    let router = room.router;
    if (conn.role === 'viewer') {
      // The code presented at upgrade admits to its own lesson only, not to a later one.
      if (conn.admittedCode !== room.code)
        throw new ConflictError('this join code is not for the lesson under way; join again with its code');
      if (room.viewers() >= this.#c.maxViewers)
        throw new ConflictError(`the lesson is full (${this.#c.maxViewers} viewers)`);
      router = await this.#viewerRouter(room);
    }
    const display = conn.session?.displayName ?? name ?? `viewer ${room.viewers() + 1}`;
    const p = room.addParticipant({
      name: display,
      role: conn.role === 'teacher' ? 'teacher' : 'viewer',
      conn,
      router,
    });
    conn.participantId = p.id;
    room.broadcast({ type: 'participant.joined', data: { participantId: p.id, name: p.name, role: p.role } }, p.id);
    return {
      roomId: room.id,
      participantId: p.id,
      title: room.title,
      mode: room.mode,
      ...(conn.role === 'teacher' ? { code: room.code } : {}),
      routerRtpCapabilities: router.rtpCapabilities,
      producers: [...room.producers.keys()].flatMap((id) => room.producerInfo(id) ?? []),
      participants: [...room.participants.values()]
        .filter((x) => x.id !== p.id)
        .map((x) => ({ participantId: x.id, name: x.name, role: x.role })),
    };
  }

  /** The primary router while it has room; then a router on another worker, fed by pipeToRouter. */
  async #viewerRouter(room: Room): Promise<types.Router> {
    const limit = this.#c.consumersPerRouter;
    if (this.#workers.length < 2 || room.consumersOn(room.router) < limit) return room.router;
    for (const v of room.viewerRouters) if (room.consumersOn(v.router) < limit) return v.router;
    const used = room
      .routers()
      .map((r) => this.#workerOf(r))
      .filter((w): w is types.Worker => w !== undefined);
    const router = await this.#newRouter(
      used.length < this.#workers.length ? used : [this.#workerOf(room.router) as types.Worker],
    );
    room.viewerRouters.push({ router, piped: new Set() });
    return router;
  }

  async #createTransport(conn: MediaConnection, direction: 'send' | 'recv'): Promise<Reply<'transport.create'>> {
    const { room, p } = this.#requireParticipant(conn);
    if (direction === 'send' && p.role !== 'teacher')
      throw new ClassEdgeError('forbidden', 'direction: viewers only receive');
    if (p.transports.size >= MAX_TRANSPORTS_PER_PARTICIPANT)
      throw new ConflictError(`at most ${MAX_TRANSPORTS_PER_PARTICIPANT} transports per participant`);
    const listen = {
      ip: this.#c.listenIp,
      ...(this.#c.announcedAddress ? { announcedAddress: this.#c.announcedAddress } : {}),
      portRange: { min: this.#c.rtcMinPort, max: this.#c.rtcMaxPort },
    };
    const t = await p.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ...listen },
        { protocol: 'tcp', ...listen },
      ],
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.#c.initialOutgoingBitrate,
      iceConsentTimeout: this.#c.iceConsentTimeoutSec,
      appData: { direction },
    });
    if (direction === 'send') await t.setMaxIncomingBitrate(this.#c.maxIncomingBitrate);
    p.transports.set(t.id, t);
    // Vanished without goodbye (laptop lid shut, Wi-Fi gone): ICE consent stops, mediasoup says
    // 'disconnected'; still so after the grace period means gone. ICE back in time cancels it.
    t.on('icestatechange', (state) => {
      if (state === 'disconnected') {
        clearTimeout(p.vanishTimer);
        p.vanishTimer = setTimeout(() => this.#vanished(room, p), this.#c.iceDisconnectGraceMs);
      } else if (state === 'connected' || state === 'completed') {
        clearTimeout(p.vanishTimer);
        p.vanishTimer = undefined;
      }
    });
    return {
      id: t.id,
      iceParameters: t.iceParameters,
      iceCandidates: t.iceCandidates,
      dtlsParameters: t.dtlsParameters,
    };
  }

  #vanished(room: Room, p: Participant): void {
    if (this.#room !== room || !room.participants.has(p.id)) return;
    this.#counters.vanished++;
    this.#ctx.log.info({ participant: p.id, role: p.role }, 'participant vanished (ICE disconnected); removed');
    p.conn?.send({ type: 'room.closed', data: { reason: 'vanished' } });
    room.removeParticipant(p.id, 'vanished');
    p.conn?.close(4002, 'media connection lost');
  }

  async #produce(conn: MediaConnection, d: MediaRequests['produce']): Promise<Reply<'produce'>> {
    const { room, p } = this.#requireParticipant(conn);
    if (p.producers.size >= MAX_PRODUCERS_PER_PARTICIPANT)
      throw new ConflictError(`at most ${MAX_PRODUCERS_PER_PARTICIPANT} producers per participant`);
    const t = this.#transport(p, d.transportId);
    if ((t.appData as { direction?: string }).direction !== 'send')
      throw new ConflictError('transportId: not a send transport');
    const producer = await t.produce({
      kind: d.kind,
      rtpParameters: d.rtpParameters as unknown as types.RtpParameters,
      appData: { label: d.label },
    });
    this.#addProducer(room, p, producer, d.label, 'local', p.name);
    return { producerId: producer.id };
  }

  #addProducer(
    room: Room,
    p: Participant,
    producer: types.Producer,
    label: Label,
    origin: 'local' | 'partner',
    name: string,
  ): void {
    room.producers.set(producer.id, { producer, participantId: p.id, name, label, origin });
    p.producers.add(producer.id);
    producer.on('transportclose', () => room.dropProducer(producer.id));
    const info = room.producerInfo(producer.id);
    if (info) room.broadcast({ type: 'producer.added', data: info }, p.id);
    if (origin === 'local') void this.#forward(room, producer.id);
  }

  async #consume(conn: MediaConnection, d: MediaRequests['consume']): Promise<Reply<'consume'>> {
    const { room, p } = this.#requireParticipant(conn);
    const t = this.#transport(p, d.transportId);
    const entry = room.producers.get(d.producerId);
    if (!entry) throw new NotFoundError(`producerId: no producer '${d.producerId}' in this lesson`);
    // One consumer per producer and participant: a client asking again is refused, not served twice.
    if ([...p.consumers.values()].some((c) => c.producerId === d.producerId))
      throw new ConflictError(`producerId: already receiving '${d.producerId}'`);
    if (p.consumers.size >= MAX_CONSUMERS_PER_PARTICIPANT)
      throw new ConflictError(`at most ${MAX_CONSUMERS_PER_PARTICIPANT} streams per participant`);
    const caps = d.rtpCapabilities as unknown as types.RtpCapabilities;
    if (p.router !== room.router) {
      const v = room.viewerRouters.find((x) => x.router === p.router);
      if (v && !v.piped.has(d.producerId)) {
        await room.router.pipeToRouter({ producerId: d.producerId, router: p.router });
        v.piped.add(d.producerId);
      }
    }
    if (!p.router.canConsume({ producerId: d.producerId, rtpCapabilities: caps })) {
      throw new ClassEdgeError(
        'invalid_input',
        `rtpCapabilities: none of your codecs can receive producer '${d.producerId}' (${entry.producer.rtpParameters.codecs[0]?.mimeType ?? '?'})`,
      );
    }
    // Paused until the client has set up its receiver (consumer.resume): no keyframe is lost.
    const consumer = await t.consume({ producerId: d.producerId, rtpCapabilities: caps, paused: true });
    p.consumers.set(consumer.id, consumer);
    const gone = (): void => {
      p.consumers.delete(consumer.id);
    };
    consumer.on('transportclose', gone);
    consumer.on('producerclose', () => {
      gone();
      p.conn?.send({ type: 'consumer.closed', data: { consumerId: consumer.id, producerId: d.producerId } });
    });
    return {
      consumerId: consumer.id,
      producerId: d.producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    };
  }

  async #mute(conn: MediaConnection, participantId: string): Promise<Reply<'participant.mute'>> {
    const room = this.#requireRoom();
    const target = room.participants.get(participantId);
    if (!target) throw new NotFoundError(`participantId: no participant '${participantId}' in this lesson`);
    for (const id of target.producers) {
      const e = room.producers.get(id);
      if (e && e.producer.kind === 'audio') await e.producer.pause();
    }
    target.conn?.send({ type: 'participant.muted', data: { participantId } });
    this.#audit(conn, 'media.participant.mute', { participant: target.name });
    return {};
  }

  async #startCamera(source: string): Promise<Reply<'camera.start'>> {
    const room = this.#requireRoom();
    if (this.#camera) throw new ConflictError('the classroom camera is already on; camera.stop first');
    let cameraParticipant = [...room.participants.values()].find((p) => p.role === 'teacher' && p.conn === undefined);
    cameraParticipant ??= room.addParticipant({
      name: 'classroom camera',
      role: 'teacher',
      conn: undefined,
      router: room.router,
    });
    const cam = await ClassroomCamera.start({
      router: room.router,
      source,
      ffmpegPath: this.#c.ffmpegPath,
      log: this.#ctx.log,
      onExit: () => {
        if (this.#camera?.cam === cam) this.#camera = undefined;
        room.dropProducer(cam.producer.id);
      },
    });
    this.#camera = { cam, source };
    this.#addProducer(room, cameraParticipant, cam.producer, 'classroom-camera', 'local', 'classroom camera');
    return { producerId: cam.producer.id };
  }

  // ---- Classroom to classroom ---------------------------------------------------------------

  #pipeListen(): { protocol: 'udp'; ip: string; announcedAddress?: string; portRange: { min: number; max: number } } {
    return {
      protocol: 'udp',
      ip: this.#c.listenIp,
      ...(this.#c.announcedAddress ? { announcedAddress: this.#c.announcedAddress } : {}),
      portRange: { min: this.#c.rtcMinPort, max: this.#c.rtcMaxPort },
    };
  }

  static #pipeAddress(pipe: types.PipeTransport): { ip: string; port: number } {
    const t = pipe.tuple as types.TransportTuple & { localAddress?: string };
    return { ip: t.localAddress ?? t.localIp, port: t.localPort };
  }

  /** Host side: a partner appliance proves who it is by signing this connection's challenge. */
  #partnerHello(conn: MediaConnection, d: MediaRequests['partner.hello']): Reply<'partner.hello'> {
    const room = this.#requireRoom();
    if (room.mode !== 'host') throw new ConflictError('this classroom does not host the lesson');
    const trusted = this.#c.partners.find((x) => x.applianceId === d.applianceId);
    if (!trusted)
      throw new ClassEdgeError(
        'forbidden',
        `applianceId: '${d.applianceId}' is not a partner of this classroom (media.partners)`,
      );
    // The signed text names this host: a signature another host relays here does not verify.
    const hostId = this.#selfId();
    const text = partnerSigningText(conn.challenge, hostId, d.applianceId, d.code);
    if (!verifyText(text, d.signature, trusted.publicKeyPem)) {
      this.#audit(conn, 'media.partner.link', { partner: d.applianceId, reason: 'signature' }, 'denied');
      throw new ClassEdgeError(
        'forbidden',
        `signature: does not verify with the key enrolled for '${d.applianceId}' over this connection's challenge and host '${hostId}'`,
      );
    }
    if (d.code.toUpperCase() !== room.code) throw new NotFoundError('code: no lesson with this join code');
    if (conn.participantId) throw new ConflictError('already linked on this connection');
    // The partner sends no media before the host has proved its own key in turn.
    const hostSignature = signText(
      hostSigningText(d.nonce, hostId, d.applianceId, conn.challenge),
      applianceKey(this.#ctx.config.dataDir).privateKey,
    );
    const p = room.addParticipant({ name: trusted.name ?? d.applianceId, role: 'partner', conn, router: room.router });
    conn.participantId = p.id;
    room.broadcast({ type: 'participant.joined', data: { participantId: p.id, name: p.name, role: 'partner' } }, p.id);
    this.#counters.partnerLinks++;
    this.#audit(conn, 'media.partner.link', { partner: d.applianceId, roomId: room.id });
    return { roomId: room.id, participantId: p.id, title: room.title, hostId, hostSignature };
  }

  /** Host side: the one SRTP pipe to this partner; then every local producer is sent through it. */
  async #partnerPipe(conn: MediaConnection, d: MediaRequests['partner.pipe']): Promise<Reply<'partner.pipe'>> {
    const { room, p } = this.#requireParticipant(conn);
    if (p.transports.size > 0) throw new ConflictError('the pipe to this partner exists already');
    const pipe = await room.router.createPipeTransport({
      listenInfo: this.#pipeListen(),
      enableSrtp: true,
      enableRtx: false,
    });
    p.transports.set(pipe.id, pipe);
    try {
      await pipe.connect({
        ip: d.ip,
        port: d.port,
        srtpParameters: d.srtpParameters as unknown as types.SrtpParameters,
      });
    } catch (err) {
      pipe.close();
      p.transports.delete(pipe.id);
      throw err;
    }
    // After the reply has gone out: the partner connects its side before the producers arrive.
    setImmediate(() => {
      for (const [id, e] of room.producers) if (e.origin === 'local') void this.#forwardTo(room, p, id);
    });
    return { ...MediaService.#pipeAddress(pipe), srtpParameters: pipe.srtpParameters };
  }

  /** A new local producer goes to every partner (host side) or to the host (partner side). */
  async #forward(room: Room, producerId: string): Promise<void> {
    for (const p of room.participants.values())
      if (p.role === 'partner' && p.conn && p.transports.size > 0) await this.#forwardTo(room, p, producerId);
    const link = this.#link;
    if (link && room.mode === 'relay') {
      const e = room.producers.get(producerId);
      if (!e) return;
      try {
        const consumer = await link.pipe.consume({ producerId });
        link.hostParticipant.consumers.set(consumer.id, consumer);
        consumer.on('producerclose', () => {
          link.hostParticipant.consumers.delete(consumer.id);
          link.host.request('partner.unproduce', { producerId }).catch(() => undefined);
        });
        await link.host.request('partner.produce', {
          producerId,
          kind: consumer.kind,
          label: e.label,
          name: e.name,
          rtpParameters: consumer.rtpParameters as never,
          paused: consumer.producerPaused,
        });
      } catch (err) {
        this.#ctx.log.warn({ err: errorMessage(err) }, 'could not send a producer to the host classroom');
      }
    }
  }

  async #forwardTo(room: Room, partner: Participant, producerId: string): Promise<void> {
    const pipe = [...partner.transports.values()][0] as types.PipeTransport | undefined;
    const e = room.producers.get(producerId);
    if (!pipe || !e || pipe.closed) return;
    try {
      const consumer = await pipe.consume({ producerId });
      partner.consumers.set(consumer.id, consumer);
      consumer.on('transportclose', () => partner.consumers.delete(consumer.id));
      consumer.on('producerclose', () => partner.consumers.delete(consumer.id));
      partner.conn?.send({
        type: 'partner.producer',
        data: {
          producerId,
          kind: consumer.kind,
          label: e.label,
          name: e.name,
          rtpParameters: consumer.rtpParameters as never,
          paused: consumer.producerPaused,
        },
      });
    } catch (err) {
      this.#ctx.log.warn(
        { err: errorMessage(err), partner: partner.name },
        'could not send a producer to a partner classroom',
      );
    }
  }

  /** The lesson a link relays into: the relay room already here, or a new one (not yet this.#room). */
  async #relayRoom(title: string): Promise<Room> {
    const check = (): Room | undefined => {
      if (this.#stopping) throw new ConflictError('the media component is stopping');
      // A lesson started here while the link was being proved: this classroom hosts now.
      if (this.#room?.mode === 'host')
        throw new ConflictError('this classroom started a lesson of its own while linking; end it first');
      return this.#room;
    };
    const existing = check();
    if (existing) return existing;
    const router = await this.#newRouter();
    let meanwhile: Room | undefined;
    try {
      meanwhile = check();
    } catch (err) {
      router.close();
      throw err;
    }
    if (!meanwhile) return new Room({ router, title, mode: 'relay' });
    router.close();
    return meanwhile;
  }

  /**
   * Partner side: link this classroom to a lesson hosted by a partner classroom listed in
   * media.partners (its URL and key from the list, never from the request). Both prove their keys
   * before any media flows; every step is bounded by partnerTimeoutSeconds, and a link that fails
   * at any step leaves nothing behind (no relay room, no router, no pipe).
   */
  async #linkToHost(conn: MediaConnection, partnerId: string, code: string): Promise<Reply<'partner.link'>> {
    if (this.#room?.mode === 'host')
      throw new ConflictError('this classroom hosts a lesson; end it before joining another as a partner');
    if (this.#link) throw new ConflictError('already linked to a host classroom');
    if (this.#linking) throw new ConflictError('a link to a host classroom is being set up');
    const entry = this.#c.partners.find((x) => x.applianceId === partnerId);
    if (!entry?.url)
      throw new ClassEdgeError(
        'forbidden',
        entry
          ? `partnerId: '${partnerId}' has no url in media.partners; this classroom may not link to it`
          : `partnerId: '${partnerId}' is not a partner classroom of this appliance (media.partners)`,
      );
    const url = entry.url;
    const applianceId = this.#selfId();
    const timeoutMs = this.#c.partnerTimeoutSeconds * 1000;
    const audit = { host: partnerId, address: new URL(url).host };
    const attempt: { host: HostConnection | undefined } = { host: undefined };
    this.#linking = attempt;
    let host: HostConnection | undefined;
    let room: Room | undefined;
    let createdRoom = false;
    let hostParticipant: Participant | undefined;
    try {
      host = await HostConnection.open(url, timeoutMs, entry.tlsFingerprint256);
      attempt.host = host;
      if (this.#stopping) throw new ConflictError('the media component is stopping');
      const challenge = await host.challenge();
      const { privateKey } = applianceKey(this.#ctx.config.dataDir);
      const nonce = randomBytes(24).toString('base64url');
      const hello = await host.request('partner.hello', {
        applianceId,
        code,
        nonce,
        signature: signText(partnerSigningText(challenge, entry.applianceId, applianceId, code), privateKey),
      });
      // Mutual: the host proves the key listed for it before this classroom's camera goes anywhere.
      if (
        hello.hostId !== entry.applianceId ||
        !verifyText(
          hostSigningText(nonce, entry.applianceId, applianceId, challenge),
          hello.hostSignature,
          entry.publicKeyPem,
        )
      )
        throw new ClassEdgeError(
          'forbidden',
          `hostSignature: the appliance at ${new URL(url).host} did not prove the key listed for '${partnerId}' in media.partners`,
        );
      room = await this.#relayRoom(hello.title);
      createdRoom = this.#room !== room;
      this.#room = room;
      const pipe = await room.router.createPipeTransport({
        listenInfo: this.#pipeListen(),
        enableSrtp: true,
        enableRtx: false,
      });
      const hp = room.addParticipant({
        name: entry.name ?? partnerId,
        role: 'partner',
        conn: undefined,
        router: room.router,
      });
      hostParticipant = hp;
      hp.transports.set(pipe.id, pipe);
      const relay = room;
      const link = host;
      // Events may arrive while the pipe is being connected: queue them until it is.
      let ready: () => void = () => undefined;
      const connected = new Promise<void>((resolve) => (ready = resolve));
      let queue = connected;
      link.onEvent = (frame) => {
        queue = queue.then(async () => {
          if (frame.type === 'partner.producer') {
            const d = frame.data;
            try {
              const producer = await pipe.produce({
                id: d.producerId,
                kind: d.kind,
                rtpParameters: d.rtpParameters as unknown as types.RtpParameters,
                paused: d.paused,
              });
              this.#addProducer(relay, hp, producer, d.label, 'partner', d.name);
            } catch (err) {
              this.#ctx.log.warn({ err: errorMessage(err) }, 'could not receive a producer from the host classroom');
            }
          } else if (frame.type === 'producer.closed') {
            if (hp.producers.has(frame.data.producerId)) relay.dropProducer(frame.data.producerId);
          }
        });
      };
      const addr = MediaService.#pipeAddress(pipe);
      const theirs = await link.request('partner.pipe', { ...addr, srtpParameters: pipe.srtpParameters as never });
      await pipe.connect({ ip: theirs.ip, port: theirs.port, srtpParameters: theirs.srtpParameters });
      if (this.#room !== relay || this.#stopping) throw new ConflictError('the lesson ended while linking');
      this.#link = { host: link, pipe, hostParticipant: hp };
      this.#linking = undefined;
      ready();
      this.#counters.partnerLinks++;
      void link.closed.then(() => {
        if (this.#link?.host !== link) return;
        this.#link = undefined;
        this.#ctx.log.info('link to the host classroom closed');
        relay.removeParticipant(hp.id, 'left');
      });
      for (const [id, e] of relay.producers) if (e.origin === 'local') void this.#forward(relay, id);
      this.#audit(conn, 'media.partner.join', { ...audit, roomId: relay.id });
      return { roomId: relay.id, code: relay.code };
    } catch (err) {
      // Refused, timed out or cut: close what this attempt opened, and the relay room if it made it.
      if (this.#linking === attempt) this.#linking = undefined;
      host?.terminate();
      if (room && hostParticipant) room.removeParticipant(hostParticipant.id, 'left');
      if (room && createdRoom && this.#room === room) {
        this.#room = undefined;
        room.close();
      }
      const refused = err instanceof ClassEdgeError && err.code === 'forbidden';
      this.#audit(conn, 'media.partner.join', { ...audit, error: errorMessage(err) }, refused ? 'denied' : 'error');
      throw err;
    }
  }
}

type Request = { [M in MediaMethod]: { method: M; data: MediaRequests[M] } }[MediaMethod];
type Reply<M extends MediaMethod> = ApplianceMediaReplies[M];
