import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { TypedEmitter } from '../runtime/component.js';
import type { LiveEvents } from '../messages.js';
import type { FrameFace } from '../../models/face-counter.js';
import { ValidationError } from '../errors.js';

/** A frame every this many ms at most, and so many per capture: enough to aim a camera. */
const FRAME_EVERY_MS = 2000;
const MAX_FRAMES = 300;

export interface CaptureInfo {
  id: string;
  files: number;
  bytes: number;
  endedAt: number | undefined;
}

/**
 * The one exception to "frames and audio never touch disk" (privacy-security.md): an
 * administrator switches it on for at most `maxMinutes`, it is audit-logged, every kiosk shows it
 * while it runs, it switches itself off, and what it wrote is deleted `keepHours` later.
 * Written under <dataDir>/diagnostic/<capture>/: JPEG frames with the boxes found, and one WAV
 * per audio source.
 */
export class DiagnosticCapture {
  #until: number | undefined;
  #by: string | undefined;
  #dir: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastFrame = 0;
  #frames = 0;
  readonly #wavs = new Map<string, { fd: number; bytes: number; channels: number; rate: number }>();

  constructor(
    private readonly o: {
      config: Config;
      store: Store;
      bus: TypedEmitter<LiveEvents>;
      log: Logger;
      now?: () => number;
    },
  ) {}

  get root(): string {
    return join(this.o.config.dataDir, 'diagnostic');
  }

  #now(): number {
    return this.o.now?.() ?? Date.now();
  }

  get active(): boolean {
    return this.#until !== undefined;
  }

  state(): LiveEvents['analysis.capture'] {
    return { active: this.active, until: this.#until ?? null, by: this.#by ?? null };
  }

  start(actor: string, minutes: number): LiveEvents['analysis.capture'] {
    const max = this.o.config.analysis.diagnosticCapture.maxMinutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > max)
      throw new ValidationError('diagnostic capture', [
        {
          path: '/minutes',
          expected: `a whole number from 1 to ${max} (analysis.diagnosticCapture.maxMinutes)`,
          value: minutes,
        },
      ]);
    if (this.active) this.stop(actor, 'restarted');
    const now = this.#now();
    this.#until = now + minutes * 60_000;
    this.#by = actor;
    this.#dir = join(this.root, new Date(now).toISOString().replace(/[:.]/g, '-'));
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#frames = 0;
    this.#timer = setTimeout(() => this.stop('system', 'time limit'), minutes * 60_000);
    this.#timer.unref();
    this.o.store.audit.record({
      actor,
      action: 'analysis.capture.start',
      target: this.#dir,
      result: 'ok',
      detail: { minutes },
    });
    this.o.log.warn(
      { actor, minutes },
      'diagnostic capture switched on: frames and audio are written to disk until it ends',
    );
    this.o.bus.safeEmit('analysis.capture', this.state());
    return this.state();
  }

  stop(actor: string, why = 'switched off'): LiveEvents['analysis.capture'] {
    if (!this.active) return this.state();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const dir = this.#dir!;
    try {
      for (const [source, w] of this.#wavs) {
        try {
          writeSync(w.fd, wavHeader(w.bytes, w.channels, w.rate), 0, 44, 0);
        } finally {
          closeSync(w.fd);
        }
        this.o.log.info({ source, bytes: w.bytes }, 'diagnostic audio closed');
      }
      writeFileSync(join(dir, 'ended'), String(this.#now()));
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'diagnostic capture could not be closed cleanly');
    } finally {
      // Whatever failed on disk, the capture is over.
      this.#wavs.clear();
      this.#until = this.#by = this.#dir = undefined;
      this.o.store.audit.record({
        actor,
        action: 'analysis.capture.stop',
        target: dir,
        result: 'ok',
        detail: { why, frames: this.#frames },
      });
      this.o.bus.safeEmit('analysis.capture', this.state());
    }
    return this.state();
  }

  /** A failed write (a full disk) ends the capture; it must not take the appliance down. */
  #guard(what: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, `diagnostic capture could not write ${what}; switching it off`);
      this.stop('system', `write failed: ${(err as Error).message}`);
    }
  }

  frame(source: string, jpeg: Uint8Array, boxes: FrameFace[]): void {
    this.#guard('a frame', () => this.#frame(source, jpeg, boxes));
  }

  audio(source: string, channels: Float32Array[], rate: number): void {
    this.#guard('audio', () => this.#audio(source, channels, rate));
  }

  #frame(source: string, jpeg: Uint8Array, boxes: FrameFace[]): void {
    if (!this.#dir || this.#frames >= MAX_FRAMES) return;
    const now = this.#now();
    if (now - this.#lastFrame < FRAME_EVERY_MS) return;
    this.#lastFrame = now;
    this.#frames++;
    const base = join(this.#dir, `${source}-${now}`);
    writeFileSync(`${base}.jpg`, jpeg);
    writeFileSync(
      `${base}.json`,
      JSON.stringify({
        source,
        at: now,
        faces: boxes.map((b) => ({
          x: Math.round(b.x),
          y: Math.round(b.y),
          w: Math.round(b.w),
          h: Math.round(b.h),
          score: Math.round(b.score * 100) / 100,
        })),
      }),
    );
  }

  #audio(source: string, channels: Float32Array[], rate: number): void {
    if (!this.#dir) return;
    let w = this.#wavs.get(source);
    if (!w) {
      const fd = openSync(join(this.#dir, `${source}.wav`), 'w', 0o600);
      writeSync(fd, wavHeader(0, channels.length, rate));
      w = { fd, bytes: 0, channels: channels.length, rate };
      this.#wavs.set(source, w);
    }
    const n = channels[0]!.length;
    const pcm = Buffer.alloc(n * w.channels * 2);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < w.channels; c++)
        pcm.writeInt16LE(
          Math.max(-32768, Math.min(32767, Math.round((channels[c]?.[i] ?? 0) * 32768))),
          (i * w.channels + c) * 2,
        );
    }
    writeSync(w.fd, pcm, 0, pcm.length, 44 + w.bytes);
    w.bytes += pcm.length;
  }

  /** Captures on disk, newest first. */
  list(): CaptureInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names
      .sort()
      .reverse()
      .map((id) => {
        const dir = join(this.root, id);
        const files = readdirSync(dir).filter((f) => f !== 'ended');
        let ended: number | undefined;
        try {
          ended = Number(readFileSync(join(dir, 'ended'), 'utf8'));
        } catch {
          ended = undefined;
        }
        return {
          id,
          files: files.length,
          bytes: files.reduce((s, f) => s + statSync(join(dir, f)).size, 0),
          endedAt: ended,
        };
      });
  }

  /** Delete captures that ended more than `keepHours` ago (and any left without an end by a crash). */
  purge(): number {
    const keepMs = this.o.config.analysis.diagnosticCapture.keepHours * 3_600_000;
    let removed = 0;
    for (const c of this.list()) {
      if (this.#dir?.endsWith(c.id)) continue;
      if (c.endedAt === undefined || this.#now() - c.endedAt >= keepMs) {
        rmSync(join(this.root, c.id), { recursive: true, force: true });
        removed++;
      }
    }
    if (removed)
      this.o.store.audit.record({
        actor: 'system',
        action: 'analysis.capture.purge',
        result: 'ok',
        detail: { removed },
      });
    return removed;
  }
}

/** A 44-byte PCM WAV header for `dataBytes` of 16-bit samples. */
export function wavHeader(dataBytes: number, channels: number, rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
