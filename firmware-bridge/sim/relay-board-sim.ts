import {
  encodeBits,
  encodeCoilWriteEcho,
  encodeException,
  encodeRegisters,
  encodeWriteEcho,
  type ModbusRequest,
} from '../modbus/codec.js';
import type { RelayProfile } from '../relay/profile.js';

/**
 * The far end of a relay board: its relays, and the bytes the board answers with, per its profile.
 * `stuck`: the board echoes a write as if it had switched, but the relay stays as it was (a welded
 * contact, a board with a dead driver): only the read-back tells.
 */
export class RelayBoardSlave {
  readonly profile: RelayProfile;
  readonly relays: boolean[];
  stuck = false;
  /** Writes that reached the board, oldest first (relay number and state). */
  readonly writes: { relay: number; on: boolean }[] = [];

  constructor(profile: RelayProfile) {
    this.profile = profile;
    this.relays = new Array<boolean>(profile.channels).fill(false);
  }

  /** A power cut at the board: every relay drops out. */
  powerCycle(): void {
    this.relays.fill(false);
  }

  #switch(relay: number, on: boolean): void {
    this.writes.push({ relay, on });
    if (this.writes.length > 200) this.writes.shift();
    if (!this.stuck) this.relays[relay - 1] = on;
  }

  /** The reply to `req`, or an exception the real board would send. */
  answer(req: ModbusRequest): Buffer {
    const p = this.profile;
    const n = p.channels;
    if (p.family === 'coils') {
      const first = p.firstCoil;
      switch (req.fn) {
        case 1:
          if (req.start < first || req.start + req.count > first + n) return encodeException(req.address, 1, 2);
          return encodeBits(req.address, 1, this.relays.slice(req.start - first, req.start - first + req.count));
        case 5: {
          const i = req.coil - first;
          if (i < 0 || i >= n) return encodeException(req.address, 5, 2);
          this.#switch(i + 1, req.value === 'toggle' ? !this.relays[i] : req.value === 'on');
          return encodeCoilWriteEcho(req);
        }
        case 15: {
          if (req.start < first || req.start + req.states.length > first + n)
            return encodeException(req.address, 15, 2);
          req.states.forEach((on, k) => this.#switch(req.start - first + k + 1, on));
          return encodeCoilWriteEcho(req);
        }
        default:
          return encodeException(req.address, req.fn, 1);
      }
    }
    const first = p.firstRegister;
    switch (req.fn) {
      case 3:
        if (req.start < first || req.start + req.count > first + n) return encodeException(req.address, 3, 2);
        return encodeRegisters(
          req.address,
          3,
          this.relays.slice(req.start - first, req.start - first + req.count).map((on) => (on ? 1 : 0)),
        );
      case 6: {
        const i = req.register - first;
        if (i < 0 || i >= n) return encodeException(req.address, 6, 2);
        if (req.value !== p.onValue && req.value !== p.offValue) return encodeException(req.address, 6, 3);
        this.#switch(i + 1, req.value === p.onValue);
        return encodeWriteEcho(req.address, req.register, req.value);
      }
      default:
        return encodeException(req.address, req.fn, 1);
    }
  }
}
