import { errorMessage } from '../../edge/errors.js';
import { onOff, type SwitchChannel, type SwitchStatus } from '../../edge/room/switch.js';
import type { ModbusRequest, ModbusResponse } from '../modbus/codec.js';
import type { RelayProfile } from './profile.js';

export interface RelayBoardOptions {
  /** The board's device id. */
  id: string;
  address: number;
  profile: RelayProfile;
  /** The relays in use, by their number on the board (1-based) and the id they are known by. */
  channels: readonly { relay: number; id: string }[];
  /** Named in each channel's `via`. */
  bus: string;
  /** One request on the bus (with the bus's retries); throws when there is no reply or no port. */
  exchange(req: ModbusRequest): Promise<ModbusResponse>;
  /** Called when a channel's status changes (live events, audit). */
  changed?(s: SwitchStatus): void;
}

interface Relay {
  readonly relay: number;
  readonly id: string;
  /** What the board last reported; undefined = unknown. */
  confirmed: boolean | undefined;
  confirmedAt: number | undefined;
  /** What it was last told to be: held until read back, and again after a board lost its state. */
  commanded: boolean | undefined;
  lastError: string | undefined;
}

/**
 * A Modbus relay board: each switch is written and then read back; only the read-back counts.
 * A board that does not answer, answers with a bad frame, or reads back the other state leaves its
 * relays `unknown`; `poll()` (from the bus's loop) reads them back again and writes any relay whose
 * state differs from the one it was told, so a lost command, or a board that restarted with every
 * relay off, is put right without anyone asking twice.
 */
export class RelayBoard {
  readonly id: string;
  readonly address: number;
  readonly profile: RelayProfile;
  readonly #o: RelayBoardOptions;
  readonly #relays: Relay[];
  /** set() and poll() each run as one sequence of requests, not interleaved. */
  #turn: Promise<unknown> = Promise.resolve();
  /** Summed into the bus's relay counters (relayWrites, relayMismatches, relayRewrites). */
  readonly tally = { writes: 0, readBacks: 0, mismatches: 0, rewrites: 0, failures: 0 };

  constructor(o: RelayBoardOptions) {
    this.#o = o;
    this.id = o.id;
    this.address = o.address;
    this.profile = o.profile;
    for (const c of o.channels)
      if (!Number.isInteger(c.relay) || c.relay < 1 || c.relay > o.profile.channels)
        throw new Error(
          `relay board ${o.id}: relay ${c.relay} of ${c.id}: expected 1..${o.profile.channels} (${o.profile.id})`,
        );
    this.#relays = o.channels.map((c) => ({
      relay: c.relay,
      id: c.id,
      confirmed: undefined,
      confirmedAt: undefined,
      commanded: undefined,
      lastError: undefined,
    }));
  }

  channels(): SwitchChannel[] {
    return this.#relays.map((r) => ({
      id: r.id,
      status: () => this.#status(r),
      set: (on: boolean) => this.#serial(() => this.#set(r, on)),
    }));
  }

  /** Read every relay back; write those that differ from what they were told. Throws when the board does not answer. */
  poll(): Promise<void> {
    return this.#serial(async () => {
      const states = await this.#readBack();
      for (const r of this.#relays) {
        if (r.commanded === undefined || states[r.relay - 1] === r.commanded) continue;
        this.tally.rewrites++;
        await this.#write(r, r.commanded);
      }
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(fn);
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #set(r: Relay, on: boolean): Promise<SwitchStatus> {
    r.commanded = on;
    try {
      await this.#write(r, on);
    } catch {
      // #write has marked it unknown with the reason; poll() tries again.
    }
    return this.#status(r);
  }

  async #write(r: Relay, on: boolean): Promise<void> {
    const p = this.profile;
    try {
      this.tally.writes++;
      if (p.family === 'coils')
        await this.#o.exchange({
          fn: 5,
          address: this.address,
          coil: p.firstCoil + r.relay - 1,
          value: onOff(on),
        });
      else
        await this.#o.exchange({
          fn: 6,
          address: this.address,
          register: p.firstRegister + r.relay - 1,
          value: on ? p.onValue : p.offValue,
        });
      const states = await this.#readBack();
      if (states[r.relay - 1] !== on) {
        this.tally.mismatches++;
        this.#unknown(r, `read back ${onOff(!on)} after switching ${onOff(on)}`);
        throw new Error(r.lastError);
      }
    } catch (err) {
      if (r.confirmed !== undefined || r.lastError === undefined) this.#unknown(r, errorMessage(err));
      throw err;
    }
  }

  /** Every relay of the board, as it reports them; marks those in use confirmed or, on failure, unknown. */
  async #readBack(): Promise<boolean[]> {
    const p = this.profile;
    this.tally.readBacks++;
    let states: boolean[];
    try {
      const res = await this.#o.exchange(
        p.family === 'coils'
          ? { fn: 1, address: this.address, start: p.firstCoil, count: p.channels }
          : { fn: 3, address: this.address, start: p.firstRegister, count: p.channels },
      );
      if (res.kind === 'bits') states = res.values;
      else if (res.kind === 'registers') states = res.values.map((v) => v !== 0);
      else throw new Error(`unexpected ${res.kind} reply to a read-back`);
    } catch (err) {
      this.tally.failures++;
      for (const r of this.#relays) this.#unknown(r, errorMessage(err));
      throw err;
    }
    const now = Date.now();
    for (const r of this.#relays) {
      const on = states[r.relay - 1] === true;
      const changed = r.confirmed !== on || r.lastError !== undefined;
      r.confirmed = on;
      r.confirmedAt = now;
      r.lastError = undefined;
      if (changed) this.#o.changed?.(this.#status(r));
    }
    return states;
  }

  #unknown(r: Relay, reason: string): void {
    const changed = r.confirmed !== undefined || r.lastError !== reason;
    r.confirmed = undefined;
    r.lastError = reason;
    if (changed) this.#o.changed?.(this.#status(r));
  }

  #status(r: Relay): SwitchStatus {
    const state = r.confirmed === undefined ? 'unknown' : onOff(r.confirmed);
    return {
      id: r.id,
      state,
      ...(r.commanded !== undefined && r.commanded !== r.confirmed ? { pending: onOff(r.commanded) } : {}),
      ...(r.confirmedAt !== undefined ? { confirmedAt: r.confirmedAt } : {}),
      ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
      via: `${this.#o.bus}, relay board ${this.id} (address ${this.address}, ${this.profile.id}), relay ${r.relay}`,
    };
  }
}
