import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/context.js';
import { deinterleave } from '../wav.js';
import { SupervisedProcess } from './supervised-process.js';
import type { AlsaCaptureSchema } from './alsa-capture.kind.js';

const RATE = 16000;

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
  readonly #proc: SupervisedProcess;
  #seconds = 0;

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof AlsaCaptureSchema>,
  ) {
    super();
    this.name = cfg.name;
    const frame = 2 * cfg.channels;
    const capturing = `capturing ${cfg.device}, ${cfg.channels} channel(s)`;
    // A pipe read may end inside a sample frame: the rest waits for the next read.
    let rest = Buffer.alloc(0);
    this.#proc = new SupervisedProcess({
      command: cfg.arecordPath,
      args: arecordArgs(cfg),
      onData: (chunk) => {
        const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
        const whole = data.length - (data.length % frame);
        rest = Buffer.from(data.subarray(whole));
        if (whole === 0) return;
        this.#seconds += whole / frame / RATE;
        if (this.state !== 'running') this.setState('running', capturing);
        ctx.analysis.submitAudio(this.name, deinterleave(data.subarray(0, whole), cfg.channels), RATE);
      },
      onRestarting: (why, waitMs) => {
        rest = Buffer.alloc(0);
        this.setState('degraded', `${why}; again in ${waitMs / 1000} s`);
      },
    });
  }

  async start(): Promise<void> {
    this.#proc.start();
    this.setState('running', `capturing ${this.cfg.device}, ${this.cfg.channels} channel(s)`);
  }

  async stop(): Promise<void> {
    await this.#proc.stop();
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { seconds: Math.round(this.#seconds), restarts: this.#proc.restarts } };
  }
}
