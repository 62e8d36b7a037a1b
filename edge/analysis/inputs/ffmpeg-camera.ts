import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/context.js';
import { JpegSplitter } from '../jpeg-stream.js';
import { SupervisedProcess } from './supervised-process.js';
import type { FfmpegCameraSchema } from './ffmpeg-camera.kind.js';

/** The ffmpeg arguments for a camera or a video file: frames as JPEGs on stdout, nothing on disk. */
export function ffmpegArgs(cfg: Pick<Static<typeof FfmpegCameraSchema>, 'source' | 'everySeconds' | 'loop'>): string[] {
  const input: string[] = [];
  if (isLive(cfg.source)) input.push(...(cfg.source.startsWith('/dev/') ? ['-f', 'v4l2'] : ['-rtsp_transport', 'tcp']));
  // A file is read at its own pace (-re), as a camera would deliver it.
  else input.push('-re', ...(cfg.loop ? ['-stream_loop', '-1'] : []));
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    ...input,
    '-i',
    cfg.source,
    '-an',
    '-vf',
    `fps=1/${cfg.everySeconds}`,
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    'pipe:1',
  ];
}

const isLive = (source: string): boolean =>
  source.startsWith('rtsp://') || source.startsWith('rtsps://') || source.startsWith('/dev/video');

/**
 * A classroom camera (RTSP or USB) or a video file through Debian's ffmpeg, sampled at a low
 * rate. Frames travel from ffmpeg's stdout to the analyser in memory only. ffmpeg is restarted
 * with back-off when the camera drops; a video file that ends (without loop) just ends.
 */
export class FfmpegCamera extends BaseComponent {
  readonly kind = 'camera-ffmpeg';
  readonly name: string;
  readonly #proc: SupervisedProcess;
  readonly #c = { frames: 0, skippedBytes: 0, oversize: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof FfmpegCameraSchema>,
  ) {
    super();
    this.name = cfg.name;
    let splitter = new JpegSplitter(ctx.config.analysis.maxSnapshotBytes * 4);
    const sampling = `sampling ${cfg.source} every ${cfg.everySeconds} s`;
    this.#proc = new SupervisedProcess({
      command: cfg.ffmpegPath,
      args: ffmpegArgs(cfg),
      onData: (chunk) => {
        for (const jpeg of splitter.push(chunk)) {
          this.#c.frames++;
          if (this.state !== 'running') this.setState('running', sampling);
          ctx.analysis.submitFrame(this.name, jpeg);
        }
        this.#c.skippedBytes = splitter.skippedBytes;
        this.#c.oversize = splitter.oversize;
      },
      finished: (code) => code === 0 && !cfg.loop && !isLive(cfg.source),
      onFinished: () => this.setState('running', 'end of video'),
      onRestarting: (why, waitMs) => {
        // A new ffmpeg starts a new stream: what was half-read of the old one is gone.
        splitter = new JpegSplitter(ctx.config.analysis.maxSnapshotBytes * 4);
        this.setState('degraded', `${why}; again in ${waitMs / 1000} s`);
      },
    });
  }

  async start(): Promise<void> {
    this.#proc.start();
    this.setState('running', `sampling ${this.cfg.source} every ${this.cfg.everySeconds} s`);
  }

  async stop(): Promise<void> {
    await this.#proc.stop();
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { ...this.#c, restarts: this.#proc.restarts } };
  }
}
