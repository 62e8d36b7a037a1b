import { spawn, type ChildProcess } from 'node:child_process';
import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/context.js';
import { deinterleave } from '../wav.js';
import type { AlsaCaptureSchema } from './alsa-capture.kind.js';

const RATE = 16000;
const RESTART_MS = [1000, 2000, 5000, 10000, 30000];

export function arecordArgs(cfg: Pick<Static<typeof AlsaCaptureSchema>, 'device' | 'channels'>): string[] {
  return ['-q', '-D', cfg.device, '-f', 'S16_LE', '-r', String(RATE), '-c', String(cfg.channels), '-t', 'raw'];
}

/**
 * The classroom's microphones through ALSA: arecord writes raw 16 kHz samples to a pipe, which the
 * analyser reads in memory; nothing is recorded to a file. A capture device that disappears (USB
 * receiver unplugged) is retried with back-off.
 */
export class AlsaCapture extends BaseComponent {
  readonly kind = 'audio-alsa';
  readonly name: string;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #c = { seconds: 0, restarts: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof AlsaCaptureSchema>,
  ) {
    super();
    this.name = cfg.name;
  }

  async start(): Promise<void> {
    this.#stopping = false;
    this.#spawn();
    this.setState('running', `capturing ${this.cfg.device}, ${this.cfg.channels} channel(s)`);
  }

  #spawn(): void {
    const frame = 2 * this.cfg.channels;
    let rest = Buffer.alloc(0);
    let stderr = '';
    const child = spawn(this.cfg.arecordPath, arecordArgs(this.cfg), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.stdout.on('data', (chunk: Buffer) => {
      const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const whole = data.length - (data.length % frame);
      rest = Buffer.from(data.subarray(whole));
      if (whole === 0) return;
      this.#restarts = 0;
      this.#c.seconds += whole / frame / RATE;
      if (this.state !== 'running') this.setState('running', `capturing ${this.cfg.device}, ${this.cfg.channels} channel(s)`);
      this.ctx.analysis.submitAudio(this.name, deinterleave(data.subarray(0, whole), this.cfg.channels), RATE);
    });
    child.on('error', (err) => (stderr = err.message));
    child.on('close', (code) => {
      this.#child = undefined;
      if (this.#stopping) return;
      const wait = RESTART_MS[Math.min(this.#restarts, RESTART_MS.length - 1)]!;
      this.#restarts++;
      this.#c.restarts++;
      this.setState('degraded', `arecord stopped (${code ?? 'signal'}): ${stderr.trim().split('\n').pop() ?? ''}; again in ${wait / 1000} s`);
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
    return { ...super.status(), counters: { seconds: Math.round(this.#c.seconds), restarts: this.#c.restarts } };
  }
}
