import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { DeviceError, ValidationError } from '../../edge/errors.js';
import { closeSerial, openSerial, writeSerial } from '../serial/serial-link.js';
import { CMD_SINGLE, readingProblem, takeReading, type IrReading } from './gy-mcu906.js';
import type { ThermometerSchema } from './thermometer.kind.js';

/** The door station's infrared thermometer: one reading on request, checked for a human range. */
export class Thermometer extends BaseComponent {
  readonly kind = 'thermometer';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof ThermometerSchema>;
  #port: SerialPort | undefined;
  #rx: Buffer = Buffer.alloc(0);
  #waiter: ((r: IrReading | Error) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #c = { readings: 0, rejected: 0, badFrames: 0, timeouts: 0 };

  constructor(ctx: ComponentContext, cfg: Static<typeof ThermometerSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const port = await openSerial({ path: this.#cfg.port, baudRate: this.#cfg.baudRate, parity: 'none' });
    this.#port = port;
    port.on('data', (c: Buffer) => this.#onData(c));
    port.on('close', () => this.setState('degraded', `serial port ${this.#cfg.port} closed`));
    port.on('error', () => undefined);
    this.setState('running');
  }

  #onData(chunk: Buffer): void {
    this.#rx = this.#rx.length > 256 ? chunk : Buffer.concat([this.#rx, chunk]);
    for (;;) {
      const r = takeReading(this.#rx);
      if (r.consumed === 0) return;
      this.#rx = this.#rx.subarray(r.consumed);
      if (r.error) {
        this.#c.badFrames++;
        this.#ctx.log.warn({ err: r.error }, 'thermometer frame refused');
        this.#waiter?.(new DeviceError(`thermometer: ${r.error}`));
        this.#waiter = undefined;
      }
      if (r.reading) {
        this.#waiter?.(r.reading);
        this.#waiter = undefined;
      }
    }
  }

  /** Take one reading. Rejects with DeviceError (no or bad answer) or ValidationError (outside a human range). */
  measure(): Promise<IrReading & { at: number }> {
    const run = this.#queue.then(() => this.#measure());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #measure(): Promise<IrReading & { at: number }> {
    const port = this.#port;
    if (!port?.isOpen) throw new DeviceError(`thermometer ${this.name} is not connected`);
    this.#rx = Buffer.alloc(0);
    const got = await new Promise<IrReading | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.#c.timeouts++;
        resolve(new DeviceError(`thermometer ${this.name} did not answer within ${this.#cfg.timeoutMs} ms`));
      }, this.#cfg.timeoutMs);
      this.#waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      writeSerial(port, CMD_SINGLE).catch((err: unknown) => this.#waiter?.(err instanceof Error ? err : new Error(String(err))));
    });
    if (got instanceof Error) throw got;
    const problem = readingProblem(got, this.#ctx.config.health.humanRangeC);
    if (problem) {
      this.#c.rejected++;
      throw new ValidationError('temperature', [{ path: '/objectC', expected: problem, value: got.objectC }]);
    }
    this.#c.readings++;
    const reading = { ...got, at: Date.now() };
    this.#ctx.bus.safeEmit('health.temperature', { station: this.name, objectC: got.objectC, ambientC: got.ambientC, at: reading.at });
    return reading;
  }

  async stop(): Promise<void> {
    await closeSerial(this.#port);
    this.#port = undefined;
    this.setState('stopped');
  }
}
