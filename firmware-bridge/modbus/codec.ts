import { ProtocolError } from '../../edge/errors.js';
import { crcOk, withCrc } from './crc.js';

/**
 * Modbus RTU frames: `addr fn data… crcLo crcHi`, at most 256 bytes. Encoders for both sides (the
 * master in the appliance, the simulator playing the sensor) and decoders that say exactly which
 * byte is wrong.
 */
export const MAX_FRAME = 256;
export const MAX_READ_REGISTERS = 125;
/** Function 01/02 reads at most 2000 bits; function 0F writes at most 1968 (the spec's limits). */
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_COILS = 1968;

export type ReadFn = 3 | 4;
/** 1 = coils (relay outputs), 2 = discrete inputs. */
export type BitReadFn = 1 | 2;
/** Function 05's value field: FF 00 on, 00 00 off, and the 55 00 toggle many relay boards take. */
export type CoilValue = 'on' | 'off' | 'toggle';
const COIL_WORD: Record<CoilValue, number> = { on: 0xff00, off: 0x0000, toggle: 0x5500 };

export type ModbusRequest =
  | { fn: ReadFn; address: number; start: number; count: number }
  | { fn: 6; address: number; register: number; value: number }
  | { fn: BitReadFn; address: number; start: number; count: number }
  | { fn: 5; address: number; coil: number; value: CoilValue }
  | { fn: 15; address: number; start: number; states: readonly boolean[] };

export type ModbusResponse =
  | { kind: 'registers'; address: number; values: number[] }
  | { kind: 'written'; address: number; register: number; value: number }
  | { kind: 'bits'; address: number; values: boolean[] }
  | { kind: 'coil-written'; address: number; coil: number; value: CoilValue }
  | { kind: 'coils-written'; address: number; start: number; count: number }
  | { kind: 'exception'; address: number; fn: number; code: number };

export const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  6: 'slave device busy',
};

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

function checkAddress(a: number): void {
  if (!Number.isInteger(a) || a < 1 || a > 247) throw new ProtocolError(`slave address ${a}: expected 1..247`);
}

function checkWord(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new ProtocolError(`${what} ${n}: expected 0..65535`);
}

/** Coil states packed as function 01 and 0F carry them: the first coil in bit 0 of the first byte. */
export function packBits(states: readonly boolean[]): Buffer {
  const b = Buffer.alloc(Math.ceil(states.length / 8));
  states.forEach((on, i) => {
    if (on) b[i >> 3] = (b[i >> 3] as number) | (1 << (i & 7));
  });
  return b;
}

export function encodeRequest(r: ModbusRequest): Buffer {
  checkAddress(r.address);
  if (r.fn === 15) {
    const n = r.states.length;
    if (n < 1 || n > MAX_WRITE_COILS) throw new ProtocolError(`coil count ${n}: expected 1..${MAX_WRITE_COILS}`);
    checkWord('first coil', r.start);
    const bits = packBits(r.states);
    const b = Buffer.alloc(7 + bits.length);
    b[0] = r.address;
    b[1] = 15;
    b.writeUInt16BE(r.start, 2);
    b.writeUInt16BE(n, 4);
    b[6] = bits.length;
    bits.copy(b, 7);
    return withCrc(b);
  }
  const b = Buffer.alloc(6);
  b[0] = r.address;
  b[1] = r.fn;
  if (r.fn === 6) {
    checkWord('register', r.register);
    checkWord('value', r.value);
    b.writeUInt16BE(r.register, 2);
    b.writeUInt16BE(r.value, 4);
  } else if (r.fn === 5) {
    checkWord('coil', r.coil);
    b.writeUInt16BE(r.coil, 2);
    b.writeUInt16BE(COIL_WORD[r.value], 4);
  } else {
    const max = r.fn === 1 || r.fn === 2 ? MAX_READ_BITS : MAX_READ_REGISTERS;
    if (!Number.isInteger(r.count) || r.count < 1 || r.count > max)
      throw new ProtocolError(`${r.fn === 1 || r.fn === 2 ? 'bit' : 'register'} count ${r.count}: expected 1..${max}`);
    checkWord('start', r.start);
    b.writeUInt16BE(r.start, 2);
    b.writeUInt16BE(r.count, 4);
  }
  return withCrc(b);
}

/** Bytes of a normal (non-exception) response to `r`. */
export function responseLength(r: ModbusRequest): number {
  switch (r.fn) {
    case 5:
    case 6:
    case 15:
      return 8;
    case 1:
    case 2:
      return 5 + Math.ceil(r.count / 8);
    default:
      return 5 + 2 * r.count;
  }
}

/** Decode the reply to `r`. Throws ProtocolError naming the byte that does not fit. */
export function decodeResponse(r: ModbusRequest, frame: Uint8Array): ModbusResponse {
  if (frame.length < 5) throw new ProtocolError(`reply of ${frame.length} bytes is truncated (at least 5 expected)`);
  if (frame.length > MAX_FRAME) throw new ProtocolError(`reply of ${frame.length} bytes exceeds ${MAX_FRAME}`);
  if (!crcOk(frame)) throw new ProtocolError(`reply CRC mismatch (bytes ${frame.length - 2}-${frame.length - 1})`);
  const addr = frame[0] as number;
  const fn = frame[1] as number;
  if (addr !== r.address) throw new ProtocolError(`byte 0: reply from slave ${addr}, expected ${r.address}`);
  if (fn === (r.fn | 0x80)) {
    if (frame.length !== 5) throw new ProtocolError(`exception reply of ${frame.length} bytes, expected 5`);
    return { kind: 'exception', address: addr, fn: r.fn, code: frame[2] as number };
  }
  if (fn !== r.fn) throw new ProtocolError(`byte 1: function ${hex(fn)}, expected ${hex(r.fn)}`);
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (r.fn === 5) {
    if (frame.length !== 8) throw new ProtocolError(`write reply of ${frame.length} bytes, expected 8`);
    const coil = buf.readUInt16BE(2);
    const word = buf.readUInt16BE(4);
    if (coil !== r.coil || word !== COIL_WORD[r.value])
      throw new ProtocolError(
        `write echo coil ${coil} = ${hex4(word)}, expected coil ${r.coil} = ${hex4(COIL_WORD[r.value])}`,
      );
    return { kind: 'coil-written', address: addr, coil, value: r.value };
  }
  if (r.fn === 15) {
    if (frame.length !== 8) throw new ProtocolError(`write reply of ${frame.length} bytes, expected 8`);
    const start = buf.readUInt16BE(2);
    const count = buf.readUInt16BE(4);
    if (start !== r.start || count !== r.states.length)
      throw new ProtocolError(`write echo ${count} coils from ${start}, expected ${r.states.length} from ${r.start}`);
    return { kind: 'coils-written', address: addr, start, count };
  }
  if (r.fn === 1 || r.fn === 2) {
    const byteCount = frame[2] as number;
    const want = Math.ceil(r.count / 8);
    if (byteCount !== want) throw new ProtocolError(`byte 2: byte count ${byteCount}, expected ${want}`);
    if (frame.length !== 5 + byteCount)
      throw new ProtocolError(`reply of ${frame.length} bytes, expected ${5 + byteCount}`);
    const values: boolean[] = [];
    for (let i = 0; i < r.count; i++) values.push((((frame[3 + (i >> 3)] as number) >> (i & 7)) & 1) === 1);
    return { kind: 'bits', address: addr, values };
  }
  if (r.fn === 6) {
    if (frame.length !== 8) throw new ProtocolError(`write reply of ${frame.length} bytes, expected 8`);
    const register = buf.readUInt16BE(2);
    const value = buf.readUInt16BE(4);
    if (register !== r.register || value !== r.value)
      throw new ProtocolError(`write echo ${register}=${value}, expected ${r.register}=${r.value}`);
    return { kind: 'written', address: addr, register, value };
  }
  const byteCount = frame[2] as number;
  if (byteCount !== 2 * r.count) throw new ProtocolError(`byte 2: byte count ${byteCount}, expected ${2 * r.count}`);
  if (frame.length !== 5 + byteCount)
    throw new ProtocolError(`reply of ${frame.length} bytes, expected ${5 + byteCount}`);
  const values: number[] = [];
  for (let i = 0; i < r.count; i++) values.push(buf.readUInt16BE(3 + 2 * i));
  return { kind: 'registers', address: addr, values };
}

// ---- The slave's side (simulator) ------------------------------------------------------------

/**
 * How many bytes the request starting with `head` has, once its first 7 bytes are in (function 0F
 * carries its byte count in byte 6); undefined while fewer have arrived.
 */
export function requestLength(head: Uint8Array): number | undefined {
  if (head.length < 2) return undefined;
  if (head[1] !== 15) return 8;
  return head.length < 7 ? undefined : 9 + (head[6] as number);
}

export function decodeRequest(frame: Uint8Array): ModbusRequest {
  const want = requestLength(frame);
  if (want === undefined || frame.length !== want)
    throw new ProtocolError(`request of ${frame.length} bytes, expected ${want ?? 8}`);
  if (!crcOk(frame)) throw new ProtocolError('request CRC mismatch');
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  const address = frame[0] as number;
  const fn = frame[1] as number;
  if (fn === 1 || fn === 2 || fn === 3 || fn === 4)
    return { fn, address, start: buf.readUInt16BE(2), count: buf.readUInt16BE(4) };
  if (fn === 6) return { fn, address, register: buf.readUInt16BE(2), value: buf.readUInt16BE(4) };
  if (fn === 5) {
    const word = buf.readUInt16BE(4);
    const value = (Object.keys(COIL_WORD) as CoilValue[]).find((k) => COIL_WORD[k] === word);
    if (value === undefined)
      throw new ProtocolError(`bytes 4-5: coil value ${hex4(word)}, expected 0xff00, 0x0000 or 0x5500`);
    return { fn, address, coil: buf.readUInt16BE(2), value };
  }
  if (fn === 15) {
    const count = buf.readUInt16BE(4);
    if (count < 1 || count > MAX_WRITE_COILS || Math.ceil(count / 8) !== frame[6])
      throw new ProtocolError(`bytes 4-6: ${count} coils in ${frame[6]} bytes`);
    const states: boolean[] = [];
    for (let i = 0; i < count; i++) states.push((((frame[7 + (i >> 3)] as number) >> (i & 7)) & 1) === 1);
    return { fn, address, start: buf.readUInt16BE(2), states };
  }
  throw new ProtocolError(`byte 1: function ${hex(fn)} is not supported (1-6 or 15 expected)`);
}

export function encodeBits(address: number, fn: BitReadFn, values: readonly boolean[]): Buffer {
  const bits = packBits(values);
  return withCrc(Buffer.concat([Buffer.from([address, fn, bits.length]), bits]));
}

/** The echo of a function 05 or 0F request: its first six bytes. */
export function encodeCoilWriteEcho(req: Extract<ModbusRequest, { fn: 5 | 15 }>): Buffer {
  return withCrc(encodeRequest(req).subarray(0, 6));
}

export function encodeRegisters(address: number, fn: ReadFn, values: readonly number[]): Buffer {
  const b = Buffer.alloc(3 + 2 * values.length);
  b[0] = address;
  b[1] = fn;
  b[2] = 2 * values.length;
  values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, 3 + 2 * i));
  return withCrc(b);
}

export function encodeWriteEcho(address: number, register: number, value: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = address;
  b[1] = 6;
  b.writeUInt16BE(register, 2);
  b.writeUInt16BE(value, 4);
  return withCrc(b);
}

export function encodeException(address: number, fn: number, code: number): Buffer {
  return withCrc(Buffer.from([address, fn | 0x80, code]));
}

/**
 * Silence that ends a frame: 3.5 character times (11 bits each, as the RTU spec counts them), or a
 * fixed 1.75 ms above 19200 baud.
 */
export function interFrameMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
}

/** Time a frame of `bytes` takes on the wire. */
export function wireMs(bytes: number, baudRate: number): number {
  return (bytes * 11 * 1000) / baudRate;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}
