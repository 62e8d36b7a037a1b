import { open, type FileHandle } from 'node:fs/promises';
import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/context.js';
import { deinterleave, parseWavHeader, type WavFormat } from '../wav.js';
import type { AudioFileSchema } from './audio-file.kind.js';

/** Audio is handed on in blocks of this length, paced by the clock as a microphone would be. */
const BLOCK_MS = 256;

/**
 * Replays a WAV recording in real time as if it came from the classroom's microphones: for demo
 * mode and for replaying a lesson. The file is read a block at a time; nothing is written.
 */
export class AudioFileInput extends BaseComponent {
  readonly kind = 'audio-file';
  readonly name: string;
  #fh: FileHandle | undefined;
  #fmt: WavFormat | undefined;
  #pos = 0;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #sent = 0;
  #reading = false;
  readonly #c = { blocks: 0, loops: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof AudioFileSchema>,
  ) {
    super();
    this.name = cfg.name;
  }

  async start(): Promise<void> {
    this.setState('starting');
    if (!(await this.#open())) {
      // A recording that is not there yet (being made, a USB stick not yet in): wait for it.
      this.setState('degraded', `waiting for ${this.cfg.path}`);
      this.#timer = setInterval(() => {
        void this.#open().then(
          (ok) => {
            if (ok && this.#timer) {
              clearInterval(this.#timer);
              this.#play();
            }
          },
          (err: unknown) => this.setState('degraded', (err as Error).message),
        );
      }, 1000);
      return;
    }
    this.#play();
  }

  /** Open and check the file; false if it does not exist (yet). */
  async #open(): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(this.cfg.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      const { size } = await fh.stat();
      const head = Buffer.alloc(Math.min(size, 4096));
      await fh.read(head, 0, head.length, 0);
      const fmt = parseWavHeader(head, size);
      if (fmt.sampleRate !== 16000)
        throw new Error(
          `${this.cfg.path}: ${fmt.sampleRate} Hz; the voice model needs 16000 Hz (convert with: sox in.wav -r 16000 out.wav)`,
        );
      this.#fmt = fmt;
      this.#fh = fh;
      return true;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  #play(): void {
    const fmt = this.#fmt!;
    this.#startedAt = Date.now();
    this.#sent = 0;
    this.#timer = setInterval(() => void this.#tick(), BLOCK_MS / 2);
    this.setState('running', `${fmt.channels} channel(s), ${(fmt.dataBytes / 2 / fmt.channels / 16000).toFixed(0)} s`);
  }

  async #tick(): Promise<void> {
    if (this.#reading || !this.#fh || !this.#fmt) return;
    this.#reading = true;
    try {
      const fmt = this.#fmt;
      const frameBytes = 2 * fmt.channels;
      // Samples due by now, so that a late timer catches up instead of drifting.
      const due = Math.floor(((Date.now() - this.#startedAt) / 1000) * fmt.sampleRate);
      while (due - this.#sent >= (BLOCK_MS / 1000) * fmt.sampleRate) {
        const frames = Math.round((BLOCK_MS / 1000) * fmt.sampleRate);
        const left = fmt.dataBytes - this.#pos;
        if (left < frameBytes) {
          if (!this.cfg.loop) {
            this.#finish();
            return;
          }
          this.#pos = 0;
          this.#c.loops++;
          continue;
        }
        const want = Math.min(frames * frameBytes, left - (left % frameBytes));
        const buf = Buffer.alloc(want);
        const { bytesRead } = await this.#fh.read(buf, 0, want, fmt.dataOffset + this.#pos);
        this.#pos += bytesRead;
        this.#sent += bytesRead / frameBytes;
        this.#c.blocks++;
        this.ctx.analysis.submitAudio(
          this.name,
          deinterleave(buf.subarray(0, bytesRead), fmt.channels),
          fmt.sampleRate,
        );
      }
    } catch (err) {
      this.setState('degraded', (err as Error).message);
    } finally {
      this.#reading = false;
    }
  }

  #finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.setState('running', 'end of recording');
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#fh?.close();
    this.#fh = undefined;
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { ...this.#c } };
  }
}
