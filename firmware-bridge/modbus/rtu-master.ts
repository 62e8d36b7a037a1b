import type { SerialPort } from 'serialport';
import { DeviceError, ProtocolError } from '../../edge/errors.js';
import { decodeResponse, encodeRequest, interFrameMs, responseLength, toHex, EXCEPTIONS, MAX_FRAME, type ModbusRequest, type ModbusResponse } from './codec.js';
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

export interface MasterOptions {
  port: SerialPort;
  baudRate: number;
  responseTimeoutMs: number;
  /**
   * Silence after which a partial reply is abandoned. USB adapters deliver bytes in bursts, so this
   * is the larger of 3.5 character times and the adapter's latency.
   */
  usbLatencyMs: number;
  onFrame?: (f: RawFrame) => void;
}

/**
 * Modbus RTU master: one request at a time on the bus. A reply ends when its expected length has
 * arrived (or an exception's 5 bytes); before the next request the bus must have been silent for
 * 3.5 character times, so trailing garbage from a confused slave is flushed, not read as a reply.
 */
export class RtuMaster {
  readonly #o: MasterOptions;
  readonly #gapMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #rx: Buffer = Buffer.alloc(0);
  #lastRxAt = 0;
  #onData: (() => void) | undefined;
  #closed = false;

  constructor(o: MasterOptions) {
    this.#o = o;
    this.#gapMs = interFrameMs(o.baudRate);
    o.port.on('data', (chunk: Buffer) => {
      this.#lastRxAt = performance.now();
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

  async #waitForSilence(): Promise<void> {
    for (;;) {
      const quiet = performance.now() - this.#lastRxAt;
      if (quiet >= this.#gapMs) return;
      await sleep(this.#gapMs - quiet);
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
    await writeSerial(this.#o.port, frame);
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
