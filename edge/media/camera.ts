import { spawn, type ChildProcess } from 'node:child_process';
import type { types } from 'mediasoup';
import type { Logger } from '../log.js';
import { ValidationError } from '../errors.js';

/** RTP identity the appliance gives its own camera stream (ffmpeg writes it, mediasoup expects it). */
const CAMERA_SSRC = 0x43450001;
const CAMERA_PT = 101;

/** The ffmpeg input arguments for a camera source: a test pattern, an IP camera or a USB camera. */
export function inputArgs(source: string): string[] {
  if (source === 'testsrc') return ['-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=15'];
  if (/^rtsp:\/\/[^\s]+$/.test(source)) return ['-rtsp_transport', 'tcp', '-i', source];
  if (/^\/dev\/video[0-9]{1,2}$/.test(source))
    return ['-f', 'v4l2', '-framerate', '15', '-video_size', '1280x720', '-i', source];
  throw new ValidationError('camera.start', [
    { path: '/source', expected: "'testsrc', an rtsp:// URL or a /dev/videoN device", value: source },
  ]);
}

/**
 * The classroom camera without a browser: Debian's ffmpeg encodes VP8 and sends RTP to a
 * PlainTransport on loopback (comedia: mediasoup learns ffmpeg's ports from its first packets).
 */
export class ClassroomCamera {
  readonly transport: types.PlainTransport;
  readonly producer: types.Producer;
  readonly #ffmpeg: ChildProcess;
  #stopped = false;

  private constructor(transport: types.PlainTransport, producer: types.Producer, ffmpeg: ChildProcess) {
    this.transport = transport;
    this.producer = producer;
    this.#ffmpeg = ffmpeg;
  }

  static async start(o: {
    router: types.Router;
    source: string;
    ffmpegPath: string;
    log: Logger;
    onExit(detail: string): void;
  }): Promise<ClassroomCamera> {
    const input = inputArgs(o.source);
    // ffmpeg sends RTP and RTCP from two different sockets, so RTCP gets its own port: with one
    // muxed port, comedia would latch onto whichever socket spoke first and drop the other.
    const transport = await o.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: true,
    });
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/VP8', payloadType: CAMERA_PT, clockRate: 90000 }],
          encodings: [{ ssrc: CAMERA_SSRC }],
        },
        appData: { label: 'classroom-camera' },
      });
    } catch (err) {
      transport.close();
      throw err;
    }
    const port = transport.tuple.localPort;
    const rtcpPort = transport.rtcpTuple?.localPort ?? port;
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      ...input,
      '-an',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '800k',
      '-g',
      '30',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'rtp',
      '-ssrc',
      String(CAMERA_SSRC),
      '-payload_type',
      String(CAMERA_PT),
      `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
    ];
    const ffmpeg = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const cam = new ClassroomCamera(transport, producer, ffmpeg);
    let stderr = '';
    ffmpeg.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    ffmpeg.on('error', (err) => o.log.error({ err: err.message }, 'cannot run ffmpeg'));
    ffmpeg.on('exit', (code, signal) => {
      if (cam.#stopped) return;
      const detail = `ffmpeg exited (${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`;
      o.log.warn({ source: o.source.replace(/\/\/[^@/]*@/, '//***@'), detail }, 'classroom camera stopped');
      cam.#close();
      o.onExit(detail);
    });
    return cam;
  }

  #close(): void {
    this.#stopped = true;
    this.transport.close();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#close();
    this.#ffmpeg.kill('SIGTERM');
  }
}
