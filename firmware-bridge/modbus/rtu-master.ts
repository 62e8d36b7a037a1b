import type { SerialPort } from 'serialport';
import { DeviceError, ProtocolError } from '../../edge/errors.js';
import {
  decodeResponse,
  encodeRequest,
  interFrameMs,
  responseLength,
  toHex,
  wireMs,
  EXCEPTIONS,
  MAX_FRAME,
  type ModbusRequest,
  type ModbusResponse,
} from './codec.js';
import { writeSerial } from '../serial/serial-link.js';

export type FrameDirection = 'tx' | 'rx';
export interface RawFrame {
  dir: FrameDirection;
  hex: string;
  at: number;
  /** What was wrong with it, when something was. */
  error?: string;
}

/** A slave answered with a Modbus exception (illegal address, busy...). */
export class ModbusException extends DeviceError {
  readonly exceptionCode: number;
  constructor(address: number, fn: number, code: number) {
    super(`slave ${address} refused function ${fn}: exception ${code} (${EXCEPTIONS[code] ?? 'unknown'})`);
    this.exceptionCode = code;
  }
}

/** No complete reply within the response timeout. */
export class ModbusTimeout extends DeviceError {}

/** The line never fell silent long enough to start a request (a babbling device, noise, a wrong baud rate). */
export class LineNotQuietError extends DeviceError {}

/** The default bound on the wait for inter-frame silence: two longest frames on the wire, at least 100 ms. */
export function defaultLineQuietTimeoutMs(baudRate: number): number {
  return Math.max(100, Math.ceil(wireMs(2 * MAX_FRAME, baudRate)));
}

export interface MasterOptions {
  port: SerialPort;
  baudRate: number;
  responseTimeoutMs: number;
  /**
   * Silence after which a partial reply is abandoned. USB adapters deliver bytes in bursts, so this
   * is the larger of 3.5 character times and the adapter's latency.
   */
  usbLatencyMs: number;
  /** How long to wait for the line to fall silent before a request; default defaultLineQuietTimeoutMs. */
  lineQuietTimeoutMs?: number;
  /** How long a request may take to leave the port. */
  writeTimeoutMs: number;
  /** Named in errors, e.g. the bus component's name. */
  label?: string;
  onFrame?: (f: RawFrame) => void;
}

/**
 * Modbus RTU master: one request at a time on the bus. A reply ends when its expected length has
 * arrived (or an exception's 5 bytes); before the next request the bus must have been silent for
 * 3.5 character times (at least the USB adapter's latency), so trailing garbage from a confused
 * slave is flushed, not read as a reply.
 */
export class RtuMaster {
  readonly #o: MasterOptions;
  readonly #gapMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #quietTimeoutMs: number;
  #rx: Buffer = Buffer.alloc(0);
  #lastRxAt = 0;
  /** Bytes received while waiting for silence, for the error that names what was seen. */
  #noiseBytes = 0;
  #noiseHead: Buffer = Buffer.alloc(0);
  #onData: (() => void) | undefined;
  #closed = false;

  constructor(o: MasterOptions) {
    this.#o = o;
    this.#gapMs = interFrameMs(o.baudRate);
    this.#quietTimeoutMs = o.lineQuietTimeoutMs ?? defaultLineQuietTimeoutMs(o.baudRate);
    o.port.on('data', (chunk: Buffer) => {
      this.#lastRxAt = performance.now();
      this.#noiseBytes += chunk.length;
      if (this.#noiseHead.length < 16) this.#noiseHead = Buffer.concat([this.#noiseHead, chunk]).subarray(0, 16);
      this.#rx = this.#rx.length + chunk.length > MAX_FRAME * 2 ? chunk : Buffer.concat([this.#rx, chunk]);
      this.#onData?.();
    });
  }

  /** Queue a request; resolves with the reply, rejects with ModbusTimeout, ProtocolError or ModbusException. */
  request(req: ModbusRequest, timeoutMs = this.#o.responseTimeoutMs): Promise<ModbusResponse> {
    const run = this.#queue.then(() => this.#exchange(req, timeoutMs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Wait for 3.5 character times of silence, but not forever: a line that never goes quiet is a
   * fault to report (naming what was seen), not a reason to hold every other request.
   */
  async #waitForSilence(): Promise<void> {
    // A USB adapter hands bytes over in bursts up to its latency apart: a gap shorter than that is
    // not silence, or a babbling line would look quiet between two bursts.
    const gapMs = Math.max(this.#gapMs, this.#o.usbLatencyMs);
    const start = performance.now();
    this.#noiseBytes = 0;
    this.#noiseHead = Buffer.alloc(0);
    for (;;) {
      const now = performance.now();
      const quiet = now - this.#lastRxAt;
      if (quiet >= gapMs) return;
      if (now - start >= this.#quietTimeoutMs) {
        const seen = this.#noiseBytes;
        const head = toHex(this.#noiseHead);
        this.#rx = Buffer.alloc(0);
        this.#o.onFrame?.({ dir: 'rx', hex: head, at: Date.now(), error: 'line never quiet' });
        throw new LineNotQuietError(
          `${this.#o.label ?? this.#o.port.path}: the line was never silent for ${gapMs.toFixed(1)} ms within ${this.#quietTimeoutMs} ms (lineQuietTimeoutMs); ${seen} bytes received meanwhile, starting ${head || '(none)'}: a device babbling, noise, or a wrong baud rate`,
        );
      }
      await sleep(Math.min(gapMs - quiet, this.#quietTimeoutMs - (now - start)));
    }
  }

  async #exchange(req: ModbusRequest, timeoutMs: number): Promise<ModbusResponse> {
    if (this.#closed) throw new DeviceError('serial port is closed');
    await this.#waitForSilence();
    if (this.#rx.length > 0) {
      // Bytes nobody asked for: noise on the line or a late reply to an abandoned request.
      this.#o.onFrame?.({ dir: 'rx', hex: toHex(this.#rx), at: Date.now(), error: 'unsolicited bytes discarded' });
      this.#rx = Buffer.alloc(0);
    }
    const frame = encodeRequest(req);
    this.#o.onFrame?.({ dir: 'tx', hex: toHex(frame), at: Date.now() });
    await writeSerial(this.#o.port, frame, this.#o.writeTimeoutMs);
    const expected = responseLength(req);
    const silenceMs = Math.max(this.#gapMs, this.#o.usbLatencyMs);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let silence: NodeJS.Timeout | undefined;
      const done = (err: Error | undefined, buf?: Buffer): void => {
        clearTimeout(deadline);
        clearTimeout(silence);
        this.#onData = undefined;
        if (err) reject(err);
        else resolve(buf as Buffer);
      };
      const deadline = setTimeout(() => {
        const partial = this.#rx;
        this.#rx = Buffer.alloc(0);
        if (partial.length > 0) {
          this.#o.onFrame?.({ dir: 'rx', hex: toHex(partial), at: Date.now(), error: 'incomplete reply' });
          done(new ProtocolError(`slave ${req.address}: reply truncated at ${partial.length} of ${expected} bytes`));
        } else done(new ModbusTimeout(`slave ${req.address}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        const b = this.#rx;
        const isException = b.length >= 2 && ((b[1] as number) & 0x80) !== 0 && b[0] === req.address;
        const need = isException ? 5 : expected;
        if (b.length >= need) {
          this.#rx = b.subarray(need);
          done(undefined, b.subarray(0, need));
          return;
        }
        clearTimeout(silence);
        silence = setTimeout(() => {
          const partial = this.#rx;
          this.#rx = Buffer.alloc(0);
          this.#o.onFrame?.({ dir: 'rx', hex: toHex(partial), at: Date.now(), error: 'frame ended early' });
          done(new ProtocolError(`slave ${req.address}: reply ended after ${partial.length} of ${need} bytes`));
        }, silenceMs);
      };
      this.#onData = check;
      if (this.#rx.length > 0) check();
    });
    let res: ModbusResponse;
    try {
      res = decodeResponse(req, reply);
    } catch (err) {
      this.#o.onFrame?.({ dir: 'rx', hex: toHex(reply), at: Date.now(), error: (err as Error).message });
      throw err;
    }
    this.#o.onFrame?.({ dir: 'rx', hex: toHex(reply), at: Date.now() });
    if (res.kind === 'exception') throw new ModbusException(res.address, res.fn, res.code);
    return res;
  }

  /** Fail what is queued from now on; the port itself is closed by its owner. */
  close(): void {
    this.#closed = true;
    this.#onData = undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
