import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import type { SerialPort } from 'serialport';
import { ReopeningPort } from '../serial/reopening-port.js';
import { SerialWriteTimeout, writeSerial } from '../serial/serial-link.js';
import { looksLikeJpeg } from '../../edge/analysis/jpeg-stream.js';
import { CMD, decodeReply, freeze, frameLength, lengthOf, readFrame, resume, setImageSize } from './vc0706.js';
import type { Vc0706Schema } from './vc0706-camera.kind.js';
import { monoNow } from '../../edge/clock.js';

/**
 * A VC0706-family serial JPEG camera: every `everySeconds` it freezes a frame, reads its length,
 * reads the JPEG in chunks, resumes, and hands the picture to the analyser in memory. A module that
 * stops answering marks the component degraded; the next picture tries again. A port that
 * disappears is reopened with backoff by the shared ReopeningPort.
 */
export class Vc0706Camera extends BaseComponent {
  readonly kind = 'camera-vc0706';
  readonly name: string;
  readonly #link: ReopeningPort;
  #rx = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  readonly #c = { pictures: 0, errors: 0, skippedBytes: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof Vc0706Schema>,
  ) {
    super();
    this.name = cfg.name;
    this.#link = new ReopeningPort(
      { path: cfg.port, baudRate: cfg.baudRate, parity: 'none' },
      { opened: (port) => this.#opened(port), lost: (reason) => this.setState('degraded', reason) },
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.setState('starting');
    await this.#link.open(signal);
    try {
      await this.#transact(setImageSize(this.cfg.imageSize), CMD.imageSize);
    } catch (err) {
      // Some modules take the size only through another command; the picture still comes.
      this.ctx.log.warn({ err: (err as Error).message }, 'camera did not confirm the image size');
    }
    this.#timer = setInterval(() => void this.snap(), this.cfg.everySeconds * 1000);
    this.setState('running');
  }

  #opened(port: SerialPort): void {
    this.#rx = Buffer.alloc(0);
    port.on('data', (c: Buffer) => {
      this.#rx = Buffer.concat([this.#rx, c]);
      this.#waiter?.();
    });
  }

  /** Time the wire needs for `bytes` at the configured baud rate (10 bits a byte), plus slack. */
  #wireMs(bytes: number): number {
    return (bytes * 10 * 1000) / this.cfg.baudRate + 500;
  }

  async #transact(req: Buffer, cmd: number, frameBytes?: number): Promise<Buffer> {
    const port = this.#link.port;
    if (!port) throw new Error(`serial port ${this.cfg.port} is not open (reopening)`);
    this.#rx = Buffer.alloc(0);
    try {
      await writeSerial(port, req, this.cfg.writeTimeoutMs);
    } catch (err) {
      // A write that never left leaves the port in an unknown state: reopen it, as after an unplug.
      if (err instanceof SerialWriteTimeout) this.#link.giveUp(err.message);
      throw err;
    }
    const deadline = monoNow() + this.#wireMs(req.length + 10 + (frameBytes ?? 16));
    for (;;) {
      const d = decodeReply(this.#rx, cmd, frameBytes);
      if (d.skipped) this.#c.skippedBytes += d.skipped;
      this.#rx = this.#rx.subarray(d.consumed);
      if (d.error) throw new Error(d.error);
      if (d.data) return d.data;
      const left = deadline - monoNow();
      if (left <= 0)
        throw new Error(
          `no complete reply to command ${cmd.toString(16)} within ${Math.round(this.#wireMs(req.length + 10 + (frameBytes ?? 16)))} ms (${this.#rx.length} bytes received)`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Take one picture and hand it on. Returns the JPEG (tests), or undefined after an error. */
  async snap(): Promise<Buffer | undefined> {
    if (this.#busy) return undefined;
    this.#busy = true;
    try {
      await this.#transact(freeze(), CMD.fbufCtrl);
      let jpeg: Buffer;
      try {
        const length = lengthOf(await this.#transact(frameLength(), CMD.fbufLen));
        const max = this.ctx.config.analysis.maxSnapshotBytes;
        if (length === 0 || length > max)
          throw new Error(
            `the module reports a frame of ${length} bytes; expected 1 to ${max} (analysis.maxSnapshotBytes)`,
          );
        const parts: Buffer[] = [];
        for (let at = 0; at < length; at += this.cfg.chunkBytes) {
          const n = Math.min(this.cfg.chunkBytes, length - at);
          parts.push(await this.#transact(readFrame(at, n), CMD.readFbuf, n));
        }
        jpeg = Buffer.concat(parts);
      } finally {
        // Always let the module capture again, whatever went wrong with this frame.
        await this.#transact(resume(), CMD.fbufCtrl).catch(() => undefined);
      }
      const bad = looksLikeJpeg(jpeg, this.ctx.config.analysis.vision.maxFramePixels);
      if (bad) throw new Error(`the frame is not a JPEG: ${bad}`);
      this.#c.pictures++;
      if (this.state !== 'running') this.setState('running');
      this.ctx.analysis.submitFrame(this.name, jpeg);
      return jpeg;
    } catch (err) {
      this.#c.errors++;
      this.setState('degraded', (err as Error).message);
      return undefined;
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#link.close();
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { ...this.#c, reopens: this.#link.reopens } };
  }
}
