import type { SerialPort } from 'serialport';
import {
  decodeRequest,
  requestLength,
  encodeException,
  encodeRegisters,
  encodeWriteEcho,
  toHex,
  wireMs,
  type ModbusRequest,
} from '../modbus/codec.js';
import { encodePoint, loadProfiles, type Profile } from '../modbus/profile.js';
import { closeSerial, openSerial } from '../serial/serial-link.js';
import { RoomDrift } from './drift.js';
import { loadRelayProfiles } from '../relay/profile.js';
import { RelayBoardSlave } from './relay-board-sim.js';

/** What a misbehaving sensor or cable does; injected per slave. */
export type ModbusFault = 'no-reply' | 'bad-crc' | 'garbage' | 'wrong-slave-id' | 'slow' | 'truncated';
export const MODBUS_FAULTS: readonly ModbusFault[] = [
  'no-reply',
  'bad-crc',
  'garbage',
  'wrong-slave-id',
  'slow',
  'truncated',
];

const NOISE = Buffer.alloc(16, Buffer.from([0xaa, 0x55, 0xff, 0x00]));

export interface SimSlave {
  address: number;
  profile: string;
  fault?: ModbusFault;
}

export interface SimRelayBoard {
  address: number;
  /** A relay board profile (firmware-bridge/profiles/relay). */
  board: string;
  fault?: ModbusFault;
}

interface Board {
  address: number;
  slave: RelayBoardSlave;
  fault: ModbusFault | undefined;
}

interface Slave {
  address: number;
  profile: Profile;
  room: RoomDrift;
  fault: ModbusFault | undefined;
  /** Registers written by the master (address, baud). */
  written: Map<number, number>;
}

/**
 * The far end of an RS-485 bus: one or more sensors answering with the bytes real transmitters
 * send, per their profiles, over a serial port (in tests and demo, one end of a socat pty pair).
 * Values drift like a room; faults make a slave stop answering, corrupt its CRC, send garbage,
 * answer as another slave, answer too late or stop half-way.
 */
export class ModbusSlaveSim {
  readonly #path: string;
  readonly #baudRate: number;
  readonly #slaves = new Map<number, Slave>();
  readonly #boards = new Map<number, Board>();
  #port: SerialPort | undefined;
  #rx = Buffer.alloc(0);
  #timer: NodeJS.Timeout | undefined;
  #pending = new Set<NodeJS.Timeout>();
  #babbling = false;
  slowMs = 1500;
  requests = 0;
  readonly log: string[] = [];

  constructor(o: { path: string; baudRate: number; slaves: SimSlave[]; relays?: SimRelayBoard[]; seed?: number }) {
    this.#path = o.path;
    this.#baudRate = o.baudRate;
    const profiles = loadProfiles();
    for (const s of o.slaves) {
      const profile = profiles.get(s.profile);
      if (!profile) throw new Error(`no Modbus profile '${s.profile}'`);
      this.#slaves.set(s.address, {
        address: s.address,
        profile,
        room: new RoomDrift(
          (o.seed ?? 1) + s.address,
          profile.points.map((p) => p.metric),
        ),
        fault: s.fault,
        written: new Map(),
      });
    }
    const boards = loadRelayProfiles();
    for (const r of o.relays ?? []) {
      const profile = boards.get(r.board);
      if (!profile) throw new Error(`no relay board profile '${r.board}'`);
      this.#boards.set(r.address, { address: r.address, slave: new RelayBoardSlave(profile), fault: r.fault });
    }
  }

  /** The relay board at `address` (its relays, writes, stuck and power-cycle controls). */
  board(address: number): RelayBoardSlave | undefined {
    return this.#boards.get(address)?.slave;
  }

  async start(): Promise<void> {
    const port = await openSerial({ path: this.#path, baudRate: this.#baudRate, parity: 'none' });
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('error', () => undefined);
    this.#timer = setInterval(() => {
      for (const s of this.#slaves.values()) s.room.next();
    }, 1000);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.babble(false);
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
    await closeSerial(this.#port);
    this.#port = undefined;
  }

  /**
   * A line that never goes quiet: a device stuck transmitting, or noise on an unterminated bus.
   * A burst every millisecond or so, as a device stuck transmitting at 9600 baud would send.
   */
  babble(on: boolean): void {
    const was = this.#babbling;
    this.#babbling = on;
    if (on && !was) this.#babbleOnce();
  }

  /** The next burst goes when the last has been written, so noise never queues up in the simulator. */
  #babbleOnce(): void {
    if (!this.#babbling || !this.#port) return;
    this.#port.write(NOISE, () => setTimeout(() => this.#babbleOnce(), 1));
  }

  setFault(address: number, fault: ModbusFault | undefined): void {
    const s = this.#slaves.get(address) ?? this.#boards.get(address);
    if (s) s.fault = fault;
  }

  /** Set a metric (see RoomDrift.set: an implausible value is held, as a faulty sensor would). */
  setValue(address: number, metric: string, value: number): void {
    this.#slaves.get(address)?.room.set(metric, value);
  }

  value(address: number, metric: string): number | undefined {
    return this.#slaves.get(address)?.room.current(metric);
  }

  written(address: number, register: number): number | undefined {
    return this.#slaves.get(address)?.written.get(register);
  }

  #onData(chunk: Buffer): void {
    this.#rx = Buffer.concat([this.#rx, chunk]);
    // A request is 8 bytes (function 0F: 9 + its byte count); anything else is line noise to skip.
    for (;;) {
      const len = requestLength(this.#rx);
      if (len === undefined || this.#rx.length < len) break;
      const frame = this.#rx.subarray(0, len);
      let req: ModbusRequest;
      try {
        req = decodeRequest(frame);
      } catch {
        this.#rx = this.#rx.subarray(1);
        continue;
      }
      this.#rx = this.#rx.subarray(len);
      this.requests++;
      this.#answer(req);
    }
  }

  #answer(req: ModbusRequest): void {
    const slave = this.#slaves.get(req.address);
    const board = this.#boards.get(req.address);
    // Another slave's request: stay silent, as on a real bus. A board that does not answer does not act either.
    if (!slave && !board) return;
    const fault = slave ? slave.fault : board?.fault;
    if (fault === 'no-reply') return;
    let reply = slave ? this.#reply(slave, req) : (board as Board).slave.answer(req);
    switch (fault) {
      case undefined:
        break;
      case 'bad-crc':
        reply = Buffer.from(reply);
        reply[reply.length - 1] = (reply[reply.length - 1] as number) ^ 0xff;
        break;
      case 'garbage':
        reply = Buffer.from([0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x42]);
        break;
      case 'wrong-slave-id':
        reply = Buffer.from(reply);
        reply[0] = (req.address % 247) + 1;
        break;
      case 'truncated':
        reply = reply.subarray(0, Math.ceil(reply.length / 2));
        break;
      case 'slow':
        this.#send(reply, this.slowMs);
        return;
    }
    // A real line at this baud rate takes this long to carry the request and the reply: a pty
    // would carry them at once, so the simulator waits, and timing tests see the real floor.
    this.#send(reply, wireMs(8 + reply.length, this.#baudRate));
  }

  #reply(slave: Slave, req: ModbusRequest): Buffer {
    if (req.fn !== 3 && req.fn !== 4 && req.fn !== 6) return encodeException(req.address, req.fn, 1);
    if (req.fn === 6) {
      const p = slave.profile;
      if (req.register !== p.addressRegister && req.register !== p.baudRegister)
        return encodeException(req.address, 6, 2);
      slave.written.set(req.register, req.value);
      const echo = encodeWriteEcho(req.address, req.register, req.value);
      if (req.register === p.addressRegister && req.value >= 1 && req.value <= 247) {
        // The sensor takes its new address once it has answered from the old one.
        this.#slaves.delete(slave.address);
        slave.address = req.value;
        this.#slaves.set(slave.address, slave);
      }
      return echo;
    }
    const regs = new Map<number, number>();
    for (const p of slave.profile.points) {
      if (p.fn !== req.fn) continue;
      encodePoint(p, slave.room.current(p.metric) ?? 0).forEach((w, i) => regs.set(p.register + i, w));
    }
    const values: number[] = [];
    for (let r = req.start; r < req.start + req.count; r++) {
      // Real boards answer unmapped registers inside their range with 0, outside it with exception 2.
      if (r > 0x20) return encodeException(req.address, req.fn, 2);
      values.push(regs.get(r) ?? 0);
    }
    return encodeRegisters(req.address, req.fn, values);
  }

  #send(reply: Buffer, afterMs: number): void {
    const t = setTimeout(() => {
      this.#pending.delete(t);
      this.log.push(toHex(reply));
      if (this.log.length > 50) this.log.shift();
      this.#port?.write(reply);
    }, afterMs);
    this.#pending.add(t);
  }
}
