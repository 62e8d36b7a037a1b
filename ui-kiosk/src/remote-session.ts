import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { signalLike } from './store.js';
import type { MediaEventFrame, MediaEvents, MediaMethod, MediaRequests } from '../../edge/messages.js';
import type { MediaReplies } from '../../edge/media/wire.js';

/** The signalling replies as this page reads them: with mediasoup-client's parameter types. */
type Replies = MediaReplies<{
  rtpCapabilities: types.RtpCapabilities;
  rtpParameters: types.RtpParameters;
  iceParameters: types.IceParameters;
  iceCandidate: types.IceCandidate;
  dtlsParameters: types.DtlsParameters;
  // Only partner appliances pipe over SRTP; a browser never reads these.
  srtpParameters: object;
}>;
/** What this page sends: its camera, its screen, its microphone. */
type PublishLabel = 'camera' | 'screen' | 'mic';
const isPublishLabel = (x: unknown): x is PublishLabel => x === 'camera' || x === 'screen' || x === 'mic';
/** A frame from the appliance: a reply to one of this page's requests, or an event. */
type Incoming =
  | { id: number; ok: true; data: unknown }
  | { id: number; ok: false; error?: string; message?: string }
  | MediaEventFrame;

type ProducerInfo = MediaEvents['producer.added'];
type ParticipantInfo = MediaEvents['participant.joined'];

export interface RemoteStream {
  info: ProducerInfo;
  consumer: types.Consumer;
  stream: MediaStream;
}

export interface LessonState {
  joined: boolean;
  code: string | undefined;
  participants: ParticipantInfo[];
  remotes: RemoteStream[];
  /** Why the lesson ended for this page ('ended', 'removed', ...), when it did. */
  closed: string | undefined;
  muted: boolean;
}

const EMPTY: LessonState = {
  joined: false,
  code: undefined,
  participants: [],
  remotes: [],
  closed: undefined,
  muted: false,
};

/**
 * One browser's side of a remote lesson: the `/api/v1/media` signalling socket and a
 * mediasoup-client Device. The teacher's panel (session cookie) and a viewer's page (join code)
 * both use it; the appliance decides what each may do.
 */
export class LessonSession {
  readonly state = signalLike<LessonState>(EMPTY);
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #next = 1;
  #device: Device | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  readonly #producers = new Map<PublishLabel, types.Producer>();
  #participantId = '';
  #name: string | undefined;
  /**
   * Events are handled one at a time, and not before a join under way has loaded the device: a
   * producer added while this page was joining (the teacher's camera coming up as a viewer joins)
   * was dropped before, and the viewer waited for video forever.
   */
  #events: Promise<void> = Promise.resolve();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (ev: MessageEvent<string>) => {
      // The appliance sends only replies and the events of the message map (edge/messages.ts).
      const m: Incoming = JSON.parse(ev.data);
      if ('id' in m) {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.ok) p?.resolve(m.data);
        else p?.reject(new Error(m.message ?? m.error ?? 'request failed'));
      } else if ('type' in m) {
        // A stream that cannot be received is left out; the events after it still count.
        this.#events = this.#events.then(() => this.#onEvent(m)).catch(() => undefined);
      }
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error('connection closed'));
      this.#pending.clear();
      if (!this.state.get().closed) this.#set({ closed: 'disconnected' });
    };
  }

  /** Teacher: the panel's session cookie authenticates. Viewer: the join code does. */
  static open(code?: string): Promise<LessonSession> {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/media${code ? `?code=${encodeURIComponent(code)}` : ''}`;
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new LessonSession(ws));
      ws.onerror = () => reject(new Error(code ? 'code' : 'connection'));
    });
  }

  /** One request; its reply is typed by the message map (MediaReplies, edge/media/wire.ts). */
  request<M extends MediaMethod>(method: M, data: MediaRequests[M]): Promise<Replies[M]> {
    const id = this.#next++;
    return new Promise<Replies[M]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, data }));
    });
  }

  #set(patch: Partial<LessonState>): void {
    this.state.set({ ...this.state.get(), ...patch });
  }

  /** Join the running lesson and receive everything already being sent. */
  join(name?: string): Promise<void> {
    const joined = this.#join(name);
    this.#events = this.#events.then(() => joined).catch(() => undefined);
    return joined;
  }

  async #join(name?: string): Promise<void> {
    this.#name = name;
    const r = await this.request('room.join', name ? { name } : {});
    this.#participantId = r.participantId;
    let device: Device;
    try {
      device = new Device();
    } catch {
      // Headless or unusual user agents: Chromium's handler is the right one for Debian's Chromium.
      device = new Device({ handlerName: 'Chrome111' });
    }
    await device.load({ routerRtpCapabilities: r.routerRtpCapabilities });
    this.#device = device;
    this.#set({ joined: true, code: r.code, participants: r.participants, closed: undefined });
    for (const p of r.producers) await this.#consume(p);
  }

  async #transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const device = this.#device;
    if (!device) throw new Error('join first');
    const p = await this.request('transport.create', { direction });
    const t = direction === 'send' ? device.createSendTransport(p) : device.createRecvTransport(p);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      this.request('transport.connect', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    if (direction === 'send') {
      t.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
        const label = appData.label;
        if (!isPublishLabel(label)) {
          fail(new Error('publish with a label: camera, screen or mic'));
          return;
        }
        this.request('produce', { transportId: t.id, kind, rtpParameters, label }).then(
          (r) => ok({ id: r.producerId }),
          fail,
        );
      });
    }
    return t;
  }

  /** Send a camera, microphone or screen track. Video goes as three simulcast layers. */
  async publish(track: MediaStreamTrack, label: PublishLabel): Promise<void> {
    this.#send ??= await this.#transport('send');
    const encodings =
      track.kind === 'video'
        ? [
            { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
            { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
            { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
          ]
        : undefined;
    // stopTracks false: after a worker restart the same track is published again.
    const producer = await this.#send.produce({
      track,
      stopTracks: false,
      ...(encodings ? { encodings } : {}),
      appData: { label },
    });
    this.#producers.set(label, producer);
  }

  /** The tracks this page sends (the preview after the teacher comes back from another tab). */
  publishedTracks(): MediaStreamTrack[] {
    return [...this.#producers.values()].flatMap((p) => (p.track ? [p.track] : []));
  }

  isPublishing(label: PublishLabel): boolean {
    return this.#producers.has(label);
  }

  /** Switch the camera, microphone and screen capture off (the lesson ended: the camera light goes out). */
  stopTracks(): void {
    for (const p of this.#producers.values()) p.track?.stop();
  }

  async unpublish(label: PublishLabel): Promise<void> {
    const p = this.#producers.get(label);
    if (!p) return;
    this.#producers.delete(label);
    p.close();
    await this.request('producer.close', { producerId: p.id });
  }

  async #consume(info: ProducerInfo): Promise<void> {
    const device = this.#device;
    if (!device || info.participantId === this.#participantId) return;
    if (this.state.get().remotes.some((r) => r.info.producerId === info.producerId)) return;
    this.#recv ??= await this.#transport('recv');
    const r = await this.request('consume', {
      transportId: this.#recv.id,
      producerId: info.producerId,
      rtpCapabilities: device.rtpCapabilities,
    });
    const consumer = await this.#recv.consume({
      id: r.consumerId,
      producerId: info.producerId,
      kind: r.kind,
      rtpParameters: r.rtpParameters,
    });
    await this.request('consumer.resume', { consumerId: r.consumerId });
    const remote: RemoteStream = { info, consumer, stream: new MediaStream([consumer.track]) };
    this.#set({ remotes: [...this.state.get().remotes, remote] });
  }

  /** Ask for a lower simulcast layer (a thumbnail) or the best the bandwidth allows (2). */
  async preferLayer(consumerId: string, spatialLayer: number): Promise<void> {
    await this.request('consumer.layers', { consumerId, spatialLayer });
  }

  async #onEvent(f: MediaEventFrame): Promise<void> {
    const s = this.state.get();
    switch (f.type) {
      case 'producer.added':
        await this.#consume(f.data);
        return;
      case 'producer.closed':
      case 'consumer.closed': {
        const gone = s.remotes.filter((r) => r.info.producerId === f.data.producerId);
        for (const r of gone) r.consumer.close();
        this.#set({ remotes: s.remotes.filter((r) => r.info.producerId !== f.data.producerId) });
        return;
      }
      case 'participant.joined':
        this.#set({
          participants: [...s.participants.filter((p) => p.participantId !== f.data.participantId), f.data],
        });
        return;
      case 'participant.left':
        this.#set({ participants: s.participants.filter((p) => p.participantId !== f.data.participantId) });
        return;
      case 'participant.muted': {
        const mic = this.#producers.get('mic');
        mic?.pause();
        this.#set({ muted: true });
        return;
      }
      case 'room.closed': {
        // A media worker restarted: same lesson, same code; join again and send what was sent.
        const republish =
          f.data.reason === 'restarting'
            ? [...this.#producers.entries()].map(([label, p]) => ({ label, track: p.track }))
            : [];
        const code = s.code;
        this.#reset();
        if (f.data.reason !== 'restarting') {
          this.#set({ ...EMPTY, closed: f.data.reason });
          return;
        }
        this.#set({ ...EMPTY, code });
        await this.join(this.#name);
        for (const r of republish) if (r.track && r.track.readyState === 'live') await this.publish(r.track, r.label);
        return;
      }
      case 'media.hello':
      case 'partner.producer':
        return;
    }
  }

  #reset(): void {
    for (const r of this.state.get().remotes) r.consumer.close();
    this.#send?.close();
    this.#recv?.close();
    this.#send = undefined;
    this.#recv = undefined;
    this.#producers.clear();
  }

  /** Video frames decoded so far across every received video (the viewer test reads it). */
  async framesDecoded(): Promise<number> {
    let n = 0;
    for (const r of this.state.get().remotes) {
      if (r.info.kind !== 'video') continue;
      const stats = await r.consumer.getStats();
      stats.forEach((s: { type: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp') n += s.framesDecoded ?? 0;
      });
    }
    return n;
  }

  close(): void {
    this.#reset();
    this.#ws.close();
  }
}
