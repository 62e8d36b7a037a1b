import { errorMessage } from '../errors.js';
import type { SwitchChannel } from './switch.js';

export type CurtainMotion = 'open' | 'close' | 'stop';

export interface CurtainStatus {
  id: string;
  /** Estimated from time (0 closed .. 1 open); undefined until it has travelled all the way once. */
  position: number | undefined;
  moving: 'opening' | 'closing' | undefined;
  /** Why the last command did not run, when it did not. */
  lastError: string | undefined;
}

/**
 * A curtain or projection screen motor on two relays, one per direction, with a travel time after
 * which the motor stops by itself (../shared/domain/devices.md). The two relays are never on
 * together: before one is switched on the other must be confirmed off by its device; if that cannot
 * be confirmed the curtain does not move. The position is estimated from time, never measured, and
 * is unknown until a full travel has run.
 */
export class Curtain {
  readonly id: string;
  readonly #open: SwitchChannel;
  readonly #close: SwitchChannel;
  readonly #travelMs: number;
  readonly #now: () => number;
  #position: number | undefined;
  #moving: { dir: 'opening' | 'closing'; since: number; from: number | undefined; timer: NodeJS.Timeout } | undefined;
  #lastError: string | undefined;
  /** Commands run one after another: a stop that overtakes an open would leave a relay on. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(o: { id: string; open: SwitchChannel; close: SwitchChannel; travelS: number; now?: () => number }) {
    this.id = o.id;
    this.#open = o.open;
    this.#close = o.close;
    this.#travelMs = o.travelS * 1000;
    this.#now = o.now ?? Date.now;
  }

  status(): CurtainStatus {
    return {
      id: this.id,
      position: this.#estimate(),
      moving: this.#moving?.dir,
      lastError: this.#lastError,
    };
  }

  command(motion: CurtainMotion): Promise<CurtainStatus> {
    const run = this.#turn.then(() => this.#run(motion));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  #estimate(): number | undefined {
    const m = this.#moving;
    if (!m) return this.#position;
    if (m.from === undefined) return undefined;
    const d = (this.#now() - m.since) / this.#travelMs;
    return Math.min(1, Math.max(0, m.dir === 'opening' ? m.from + d : m.from - d));
  }

  async #run(motion: CurtainMotion): Promise<CurtainStatus> {
    this.#lastError = undefined;
    await this.#halt();
    if (motion === 'stop') return this.status();
    const [on, other] = motion === 'open' ? [this.#open, this.#close] : [this.#close, this.#open];
    // Interlock: the other direction's relay confirmed off before this one goes on.
    const off = await other.set(false).catch((err: unknown) => ({ state: 'unknown', lastError: errorMessage(err) }));
    if (off.state !== 'off') {
      this.#lastError = `${other.id} not confirmed off (${off.lastError ?? off.state}): the curtain does not move`;
      return this.status();
    }
    const st = await on.set(true).catch((err: unknown) => ({ state: 'unknown', lastError: errorMessage(err) }));
    if (st.state !== 'on') {
      this.#lastError = `${on.id} not confirmed on (${st.lastError ?? st.state})`;
      // It may have switched without confirming: make sure it is off again.
      await on.set(false).catch(() => undefined);
      return this.status();
    }
    const dir = motion === 'open' ? 'opening' : 'closing';
    const from = this.#position;
    const left = from === undefined ? 1 : motion === 'open' ? 1 - from : from;
    const timer = setTimeout(() => void this.command('stop'), Math.max(0, left * this.#travelMs) + 500);
    timer.unref();
    this.#moving = { dir, since: this.#now(), from, timer };
    return this.status();
  }

  /** Both relays off; the position is what the time says it reached (full travel: the end). */
  async #halt(): Promise<void> {
    const m = this.#moving;
    let position = this.#position;
    if (m) {
      clearTimeout(m.timer);
      const ran = this.#now() - m.since;
      position =
        m.from !== undefined ? this.#estimate() : ran >= this.#travelMs ? (m.dir === 'opening' ? 1 : 0) : undefined;
    }
    const results = await Promise.all(
      [this.#open, this.#close].map((c) =>
        c.set(false).catch((err: unknown) => ({ state: 'unknown', lastError: errorMessage(err) })),
      ),
    );
    // Moving until both relays are off (or the attempt failed): the motor may still run until then.
    this.#moving = undefined;
    this.#position = position;
    const stuck = results.find((r) => r.state !== 'off');
    if (stuck) this.#lastError = `a motor relay not confirmed off (${stuck.lastError ?? stuck.state})`;
  }
}
