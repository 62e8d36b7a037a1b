import { spawn, type ChildProcess } from 'node:child_process';
import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/context.js';
import { JpegSplitter } from '../jpeg-stream.js';
import type { FfmpegCameraSchema } from './ffmpeg-camera.kind.js';

const RESTART_MS = [1000, 2000, 5000, 10000, 30000];

/** The ffmpeg arguments for a camera or a video file: frames as JPEGs on stdout, nothing on disk. */
export function ffmpegArgs(cfg: Pick<Static<typeof FfmpegCameraSchema>, 'source' | 'everySeconds' | 'loop'>): string[] {
  const input: string[] = [];
  if (cfg.source.startsWith('rtsp://') || cfg.source.startsWith('rtsps://')) input.push('-rtsp_transport', 'tcp');
  else if (cfg.source.startsWith('/dev/video')) input.push('-f', 'v4l2');
  // A file is read at its own pace (-re), as a camera would deliver it.
  else input.push('-re', ...(cfg.loop ? ['-stream_loop', '-1'] : []));
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, '-i', cfg.source, '-an', '-vf', `fps=1/${cfg.everySeconds}`, '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'];
}

/**
 * A classroom camera (RTSP or USB) or a video file through Debian's ffmpeg, sampled at a low
 * rate. Frames travel from ffmpeg's stdout to the analyser in memory only. ffmpeg is restarted
 * with back-off when the camera drops.
 */
export class FfmpegCamera extends BaseComponent {
  readonly kind = 'camera-ffmpeg';
  readonly name: string;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #c = { frames: 0, restarts: 0, skippedBytes: 0, oversize: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof FfmpegCameraSchema>,
  ) {
    super();
    this.name = cfg.name;
  }

  async start(): Promise<void> {
    this.#stopping = false;
    this.#spawn();
    this.setState('running', `sampling ${this.cfg.source} every ${this.cfg.everySeconds} s`);
  }

  #spawn(): void {
    const splitter = new JpegSplitter(this.ctx.config.analysis.maxSnapshotBytes * 4);
    const child = spawn(this.cfg.ffmpegPath, ffmpegArgs(this.cfg), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const jpeg of splitter.push(chunk)) {
        this.#c.frames++;
        this.#restarts = 0;
        if (this.state !== 'running') this.setState('running', `sampling ${this.cfg.source} every ${this.cfg.everySeconds} s`);
        this.ctx.analysis.submitFrame(this.name, jpeg);
      }
      this.#c.skippedBytes = splitter.skippedBytes;
      this.#c.oversize = splitter.oversize;
    });
    child.on('error', (err) => {
      stderr = err.message;
    });
    child.on('close', (code) => {
      this.#child = undefined;
      if (this.#stopping) return;
      if (code === 0 && !this.cfg.loop && !this.cfg.source.startsWith('rtsp') && !this.cfg.source.startsWith('/dev/')) {
        this.setState('running', 'end of video');
        return;
      }
      const wait = RESTART_MS[Math.min(this.#restarts, RESTART_MS.length - 1)]!;
      this.#restarts++;
      this.#c.restarts++;
      this.setState('degraded', `ffmpeg stopped (${code ?? 'signal'}): ${stderr.trim().split('\n').pop() ?? ''}; again in ${wait / 1000} s`);
      this.#timer = setTimeout(() => this.#spawn(), wait);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const child = this.#child;
    if (child) {
      const closed = new Promise<void>((r) => child.once('close', () => r()));
      child.kill('SIGTERM');
      await closed;
    }
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { ...this.#c } };
  }
}
