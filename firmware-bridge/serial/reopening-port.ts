import type { SerialPort } from 'serialport';
import { errorMessage } from '../../edge/errors.js';
import { closeSerial, openSerial, type SerialOptions } from './serial-link.js';

/** Quick after a blip, at most every 10 s while a device is gone. */
export const REOPEN_FIRST_MS = 500;
export const REOPEN_MAX_MS = 10_000;

export interface ReopeningPortHooks {
  /** A freshly opened port: attach data handlers here. */
  opened(port: SerialPort): void;
  /** The port is gone (closed, errored or given up by its owner); `reason` says why and what is being done. */
  lost(reason: string): void;
}

/**
 * A serial port that is reopened with backoff when it disappears (USB adapter unplugged, device
 * power-cycled, a write that never drained). Drivers own the protocol; this owns the port's life.
 * Every serial driver uses it (thermometer, card reader, Modbus bus, VC0706 camera), so a fix to
 * reconnecting is made once.
 */
export class ReopeningPort {
  readonly #o: SerialOptions;
  readonly #hooks: ReopeningPortHooks;
  #port: SerialPort | undefined;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #delay = REOPEN_FIRST_MS;
  #attempts = 0;
  reopens = 0;

  constructor(o: SerialOptions, hooks: ReopeningPortHooks) {
    this.#o = o;
    this.#hooks = hooks;
  }

  /** The open port, or undefined while it is gone. */
  get port(): SerialPort | undefined {
    return this.#port?.isOpen ? this.#port : undefined;
  }

  /** First open: a missing device at start is the caller's error to report; `signal` ends a slow one (shutdown). */
  async open(signal?: AbortSignal): Promise<void> {
    this.#running = true;
    await this.#openOnce(signal);
  }

  async #openOnce(signal?: AbortSignal): Promise<void> {
    const port = await openSerial(this.#o, signal);
    if (!this.#running) {
      await closeSerial(port);
      return;
    }
    this.#port = port;
    this.#delay = REOPEN_FIRST_MS;
    this.#attempts = 0;
    // A read error (EIO when the far side vanishes) may come without a close: treat both as a loss.
    port.on('error', (err: Error) => this.#lose(port, `serial port ${this.#o.path} error: ${err.message}`));
    port.on('close', () => this.#lose(port, `serial port ${this.#o.path} closed (device unplugged?)`));
    this.#hooks.opened(port);
  }

  /** The owner found the port unusable (a write timed out): close it and reopen. */
  giveUp(reason: string): void {
    if (this.#port) this.#lose(this.#port, reason);
  }

  #lose(port: SerialPort, reason: string): void {
    if (port !== this.#port || !this.#running) return;
    this.#port = undefined;
    port.removeAllListeners('data');
    void closeSerial(port);
    this.#hooks.lost(`${reason}; reopening`);
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#retry(), this.#delay);
  }

  async #retry(): Promise<void> {
    if (!this.#running || this.#port) return;
    this.#attempts++;
    try {
      await this.#openOnce();
      this.reopens++;
    } catch (err) {
      if (!this.#running) return;
      this.#delay = Math.min(this.#delay * 2, REOPEN_MAX_MS);
      this.#hooks.lost(`${errorMessage(err)} (attempt ${this.#attempts}; next in ${this.#delay} ms)`);
      this.#schedule();
    }
  }

  async close(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const port = this.#port;
    this.#port = undefined;
    await closeSerial(port);
  }
}
