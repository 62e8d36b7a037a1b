import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { DeviceError, ValidationError } from '../../edge/errors.js';
import { SerialWriteTimeout, writeSerial } from '../serial/serial-link.js';
import { ReopeningPort } from '../serial/reopening-port.js';
import { CMD_SINGLE, FRAME_LEN, readingProblem, takeReading, type IrReading } from './gy-mcu906.js';
import type { ThermometerSchema } from './thermometer.kind.js';
import { monoNow } from '../../edge/clock.js';
import { isoOr, timestampInRange, timestampRange } from '../../edge/ingest/timestamps.js';

/** Bytes kept while waiting for a frame to complete: a frame is 9, anything longer is noise. */
const MAX_PENDING_BYTES = 256;

/**
 * The door station's infrared thermometer: one reading on request, checked for a human range.
 * The board's frames carry no request number, so only one request is ever open on the line: a
 * request that timed out stays open for `lateReplyMs`, the next one waits for it, and a reply that
 * comes late is dropped and counted, never taken as the next child's reading.
 */
export class Thermometer extends BaseComponent {
  readonly kind = 'thermometer';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof ThermometerSchema>;
  readonly #link: ReopeningPort;
  #rx: Buffer = Buffer.alloc(0);
  #waiter: ((r: IrReading | Error) => void) | undefined;
  /** When the request that timed out was sent, while its reply may still come. */
  #owedSince: number | undefined;
  #owedSettled: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #c = {
    readings: 0,
    rejected: 0,
    badFrames: 0,
    timeouts: 0,
    lateReplies: 0,
    unsolicited: 0,
    writeTimeouts: 0,
  };

  constructor(ctx: ComponentContext, cfg: Static<typeof ThermometerSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#link = new ReopeningPort(
      { path: cfg.port, baudRate: cfg.baudRate, parity: 'none' },
      {
        opened: (port) => this.#opened(port),
        lost: (reason) => {
          this.#ctx.log.warn({ port: cfg.port, reason }, 'thermometer port lost');
          this.#waiter?.(new DeviceError(`thermometer ${this.name}: ${reason}`));
          this.#waiter = undefined;
          this.setState('degraded', reason);
        },
      },
    );
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c, reopens: this.#link.reopens };
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.setState('starting');
    await this.#link.open(signal);
  }

  #opened(port: SerialPort): void {
    this.#rx = Buffer.alloc(0);
    port.on('data', (c: Buffer) => this.#onData(c));
    this.setState('running');
  }

  #onData(chunk: Buffer): void {
    this.#rx = this.#rx.length + chunk.length > MAX_PENDING_BYTES ? chunk : Buffer.concat([this.#rx, chunk]);
    for (;;) {
      const r = takeReading(this.#rx);
      if (r.consumed === 0) return;
      this.#rx = this.#rx.subarray(r.consumed);
      if (r.error) {
        this.#c.badFrames++;
        this.#ctx.log.warn({ err: r.error }, 'thermometer frame refused');
        const err = new DeviceError(`thermometer: ${r.error}`);
        // A whole refused frame still answers a timed-out request; noise before a frame does not.
        if (this.#waiter || r.consumed >= FRAME_LEN) this.#frame(err);
      }
      if (r.reading) this.#frame(r.reading);
    }
  }

  /** One whole frame (good or refused) from the board: the answer to the open request, if any. */
  #frame(r: IrReading | Error): void {
    if (this.#waiter) {
      this.#waiter(r);
      this.#waiter = undefined;
      return;
    }
    if (this.#owedSince !== undefined) {
      this.#c.lateReplies++;
      this.#ctx.log.warn(
        { ageMs: monoNow() - this.#owedSince, ...(r instanceof Error ? { err: r.message } : { objectC: r.objectC }) },
        `late thermometer reading dropped: it answers a request that timed out after ${this.#cfg.timeoutMs} ms (raise timeoutMs if the board is this slow)`,
      );
      this.#settleOwed();
      return;
    }
    this.#c.unsolicited++;
    this.#ctx.log.warn('thermometer sent a frame nobody asked for; dropped');
  }

  #settleOwed(): void {
    this.#owedSince = undefined;
    this.#owedSettled?.();
    this.#owedSettled = undefined;
  }

  /** Wait until the reply owed to a timed-out request has come, or can no longer be expected. */
  async #waitForOwed(): Promise<void> {
    const since = this.#owedSince;
    if (since === undefined) return;
    const left = since + this.#cfg.lateReplyMs - monoNow();
    if (left > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#owedSettled = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.#owedSettled = undefined;
    this.#owedSince = undefined;
  }

  /** Take one reading. Rejects with DeviceError (no or bad answer) or ValidationError (outside a human range). */
  measure(): Promise<IrReading & { at: number }> {
    const run = this.#queue.then(() => this.#measure());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #measure(): Promise<IrReading & { at: number }> {
    if (!this.#link.port)
      throw new DeviceError(`thermometer ${this.name} is not connected: ${this.status().detail ?? 'port closed'}`);
    await this.#waitForOwed();
    const port = this.#link.port;
    if (!port)
      throw new DeviceError(`thermometer ${this.name} is not connected: ${this.status().detail ?? 'port closed'}`);
    this.#rx = Buffer.alloc(0);
    const sentAt = monoNow();
    const got = await new Promise<IrReading | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.#owedSince = sentAt;
        this.#c.timeouts++;
        resolve(new DeviceError(`thermometer ${this.name} did not answer within ${this.#cfg.timeoutMs} ms`));
      }, this.#cfg.timeoutMs);
      this.#waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      writeSerial(port, CMD_SINGLE, this.#cfg.writeTimeoutMs).catch((err: unknown) => {
        const e = err instanceof Error ? err : new DeviceError(String(err));
        if (e instanceof SerialWriteTimeout) {
          this.#c.writeTimeouts++;
          this.#waiter?.(e);
          this.#waiter = undefined;
          this.#link.giveUp(e.message);
          return;
        }
        this.#waiter?.(e);
        this.#waiter = undefined;
      });
    });
    if (got instanceof Error) throw got;
    const problem = readingProblem(got, this.#ctx.config.health.humanRangeC);
    if (problem) {
      this.#c.rejected++;
      throw new ValidationError('temperature', [
        { path: problem.path, expected: problem.problem, value: problem.value },
      ]);
    }
    const at = Date.now();
    // Stamped with the appliance's clock: unset (1970), it would make a health check the district refuses.
    if (!timestampInRange(at, at)) {
      this.#c.rejected++;
      throw new ValidationError('temperature', [{ path: '/at', expected: timestampRange(at), value: isoOr(at) }]);
    }
    this.#c.readings++;
    const reading = { ...got, at };
    this.#ctx.bus.safeEmit('health.temperature', {
      station: this.name,
      objectC: got.objectC,
      ambientC: got.ambientC,
      at: reading.at,
    });
    return reading;
  }

  async stop(): Promise<void> {
    this.#settleOwed();
    await this.#link.close();
    this.setState('stopped');
  }
}
