/**
 * A real WebRTC peer for remote-lesson tests without a browser: werift (pure TypeScript WebRTC)
 * talks ICE, DTLS and SRTP to the appliance's mediasoup transports. The SDP mediasoup-client would
 * build in a browser is built here from the appliance's answers.
 *
 * Run as a program it is a viewer in its own process (the vanish test freezes it with SIGSTOP):
 *   node media-peer.js consume <ws-url-with-code> <producerId>   prints "receiving <pt>" on stdout
 */
import { WebSocket } from 'ws';
import { RTCPeerConnection, RTCRtpCodecParameters, MediaStreamTrack, RtpHeader, RtpPacket, useSdesMid } from 'werift';

type Frame = { id?: number; ok?: boolean; data?: any; error?: string; message?: string; type?: string };

/** The signalling side: `/api/v1/media` requests and the appliance's events. */
export class MediaClient {
  readonly ws: WebSocket;
  readonly events: { type: string; data: any }[] = [];
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  readonly #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as Frame;
      if (typeof m.id === 'number') {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.ok) p?.resolve(m.data);
        else p?.reject(Object.assign(new Error(`${m.error}: ${m.message}`), { code: m.error }));
      } else if (m.type) {
        this.events.push({ type: m.type, data: m.data });
        for (const w of this.#waiters.splice(0)) w();
      }
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<MediaClient> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new MediaClient(ws)));
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
      );
      ws.once('error', reject);
    });
  }

  request(method: string, data: unknown = {}): Promise<any> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  /** The first event of this type (already received or coming) that matches. */
  async event(type: string, match: (data: any) => boolean = () => true, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.type === type && match(x.data));
      if (e) return e.data;
      if (Date.now() > deadline)
        throw new Error(`no '${type}' event within ${timeoutMs} ms; got ${this.events.map((x) => x.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

interface ServerTransport {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: {
    foundation: string;
    priority: number;
    address?: string;
    ip?: string;
    protocol: string;
    port: number;
    type: string;
  }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

function transportLines(t: ServerTransport, setup: string): string[] {
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? t.dtlsParameters.fingerprints[0];
  if (!fp) throw new Error('the appliance sent no DTLS fingerprint');
  const lines = [
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    `a=setup:${setup}`,
    'a=rtcp-mux',
  ];
  for (const c of t.iceCandidates)
    if (c.protocol === 'udp')
      lines.push(`a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address ?? c.ip} ${c.port} typ ${c.type}`);
  lines.push('a=end-of-candidates');
  return lines;
}

function fingerprintOf(sdp: string): { algorithm: string; value: string } {
  const m = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
  if (!m?.[1] || !m[2]) throw new Error('werift SDP has no fingerprint');
  return { algorithm: m[1], value: m[2] };
}

function newPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })] },
    headerExtensions: { video: [useSdesMid()] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
}

/**
 * A VP8 key frame the SFU recognises as one: the extended payload descriptor browsers send
 * (X, S, I with a picture id; mediasoup requires X) + frame tag (key frame) + start code + size.
 */
function fakeVp8KeyFrame(pictureId: number, bytes = 60): Buffer {
  const b = Buffer.alloc(Math.max(bytes, 20));
  b[0] = 0x90; // X=1, S=1, partition 0
  b[1] = 0x80; // I=1: a picture id follows
  b[2] = pictureId & 0x7f;
  const tag = (20 << 5) | (1 << 4); // first partition size, show_frame, key frame (bit 0 = 0)
  b[3] = tag & 0xff;
  b[4] = (tag >> 8) & 0xff;
  b[5] = (tag >> 16) & 0xff;
  b.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01], 6); // start code, 640 x 360
  return b;
}

/**
 * Publishes a VP8 video stream as the teacher: by default small synthetic key frames at 15 fps;
 * the benchmark asks for a 720p-sized bitrate (more and bigger packets per frame).
 */
export class WeriftPublisher {
  readonly pc = newPeer();
  producerId = '';
  #timer: NodeJS.Timeout | undefined;

  async publish(
    client: MediaClient,
    label = 'camera',
    o: { packetsPerFrame?: number; payloadBytes?: number; frameMs?: number } = {},
  ): Promise<string> {
    const t = (await client.request('transport.create', { direction: 'send' })) as ServerTransport;
    const track = new MediaStreamTrack({ kind: 'video' });
    const transceiver = this.pc.addTransceiver(track, { direction: 'sendonly' });
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const mid = transceiver.mid ?? '0';
    const answer = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      `a=group:BUNDLE ${mid}`,
      'a=ice-lite',
      'm=video 7 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 127.0.0.1',
      `a=mid:${mid}`,
      'a=recvonly',
      ...transportLines(t, 'passive'),
      'a=rtpmap:96 VP8/90000',
      `a=extmap:1 ${MID_URI}`,
      '',
    ].join('\r\n');
    await client.request('transport.connect', {
      transportId: t.id,
      dtlsParameters: { role: 'client', fingerprints: [fingerprintOf(this.pc.localDescription?.sdp ?? offer.sdp)] },
    });
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const ssrc = transceiver.sender.ssrc;
    const { producerId } = (await client.request('produce', {
      transportId: t.id,
      kind: 'video',
      label,
      rtpParameters: {
        mid,
        codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }],
        headerExtensions: [{ uri: MID_URI, id: 1 }],
        encodings: [{ ssrc }],
        rtcp: { cname: 'werift' },
      },
    })) as { producerId: string };
    this.producerId = producerId;
    let seq = 1;
    let ts = 0;
    const perFrame = o.packetsPerFrame ?? 1;
    const frameMs = o.frameMs ?? 66;
    this.#timer = setInterval(() => {
      ts += 90 * frameMs;
      for (let i = 0; i < perFrame; i++) {
        const header = new RtpHeader({
          payloadType: 96,
          sequenceNumber: seq++ & 0xffff,
          timestamp: ts >>> 0,
          ssrc,
          marker: i === perFrame - 1,
        });
        track.writeRtp(new RtpPacket(header, fakeVp8KeyFrame(seq, o.payloadBytes)));
      }
    }, frameMs);
    return producerId;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.pc.close();
  }
}

/** Receives one producer and reports the RTP it gets. */
export class WeriftConsumer {
  readonly pc = newPeer();
  readonly payloadTypes: number[] = [];
  packets = 0;
  consumerPayloadType = -1;

  async consume(client: MediaClient, producerId: string): Promise<void> {
    const t = (await client.request('transport.create', { direction: 'recv' })) as ServerTransport;
    const c = (await client.request('consume', {
      transportId: t.id,
      producerId,
      rtpCapabilities: {
        codecs: [
          { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 96, rtcpFeedback: [] },
        ],
        headerExtensions: [{ kind: 'video', uri: MID_URI, preferredId: 1, direction: 'sendrecv' }],
      },
    })) as {
      consumerId: string;
      rtpParameters: { mid?: string; codecs: { payloadType: number }[]; encodings: { ssrc: number }[] };
    };
    const pt = c.rtpParameters.codecs[0]?.payloadType ?? -1;
    this.consumerPayloadType = pt;
    const ssrc = c.rtpParameters.encodings[0]?.ssrc;
    const mid = c.rtpParameters.mid ?? '0';
    const offer = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      `a=group:BUNDLE ${mid}`,
      'a=ice-lite',
      'a=msid-semantic: WMS *',
      `m=video 7 UDP/TLS/RTP/SAVPF ${pt}`,
      'c=IN IP4 127.0.0.1',
      `a=mid:${mid}`,
      'a=sendonly',
      ...transportLines(t, 'actpass'),
      `a=rtpmap:${pt} VP8/90000`,
      `a=extmap:1 ${MID_URI}`,
      `a=ssrc:${ssrc} cname:classedge`,
      `a=msid:lesson video`,
      '',
    ].join('\r\n');
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.packets++;
        if (this.payloadTypes.length < 50) this.payloadTypes.push(rtp.header.payloadType);
      });
    });
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const sdp = this.pc.localDescription?.sdp ?? answer.sdp;
    const setup = /a=setup:(\w+)/.exec(sdp)?.[1] ?? 'active';
    await client.request('transport.connect', {
      transportId: t.id,
      dtlsParameters: { role: setup === 'passive' ? 'server' : 'client', fingerprints: [fingerprintOf(sdp)] },
    });
    await client.request('consumer.resume', { consumerId: c.consumerId });
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

// A viewer in its own process, for the test that freezes it.
if (process.argv[2] === 'consume' && process.argv[3] && process.argv[4]) {
  const client = await MediaClient.connect(process.argv[3]);
  await client.request('room.join', { name: 'frozen viewer' });
  const consumer = new WeriftConsumer();
  await consumer.consume(client, process.argv[4]);
  const tick = setInterval(() => {
    if (consumer.packets > 0) {
      process.stdout.write(`receiving ${consumer.payloadTypes[0]}\n`);
      clearInterval(tick);
    }
  }, 50);
}
