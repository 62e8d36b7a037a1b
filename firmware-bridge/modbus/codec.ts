import { ProtocolError } from '../../edge/errors.js';
import { crcOk, withCrc } from './crc.js';

/**
 * Modbus RTU frames: `addr fn data… crcLo crcHi`, at most 256 bytes. Encoders for both sides (the
 * master in the appliance, the simulator playing the sensor) and decoders that say exactly which
 * byte is wrong.
 */
export const MAX_FRAME = 256;
export const MAX_READ_REGISTERS = 125;

export type ReadFn = 3 | 4;
export type ModbusRequest =
  | { fn: ReadFn; address: number; start: number; count: number }
  | { fn: 6; address: number; register: number; value: number };

export type ModbusResponse =
  | { kind: 'registers'; address: number; values: number[] }
  | { kind: 'written'; address: number; register: number; value: number }
  | { kind: 'exception'; address: number; fn: number; code: number };

export const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  6: 'slave device busy',
};

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

function checkAddress(a: number): void {
  if (!Number.isInteger(a) || a < 1 || a > 247) throw new ProtocolError(`slave address ${a}: expected 1..247`);
}

export function encodeRequest(r: ModbusRequest): Buffer {
  checkAddress(r.address);
  const b = Buffer.alloc(6);
  b[0] = r.address;
  b[1] = r.fn;
  if (r.fn === 6) {
    b.writeUInt16BE(r.register, 2);
    b.writeUInt16BE(r.value, 4);
  } else {
    if (r.count < 1 || r.count > MAX_READ_REGISTERS)
      throw new ProtocolError(`register count ${r.count}: expected 1..${MAX_READ_REGISTERS}`);
    b.writeUInt16BE(r.start, 2);
    b.writeUInt16BE(r.count, 4);
  }
  return withCrc(b);
}

/** Bytes of a normal (non-exception) response to `r`. */
export function responseLength(r: ModbusRequest): number {
  return r.fn === 6 ? 8 : 5 + 2 * r.count;
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

export function decodeRequest(frame: Uint8Array): ModbusRequest {
  if (frame.length !== 8) throw new ProtocolError(`request of ${frame.length} bytes, expected 8`);
  if (!crcOk(frame)) throw new ProtocolError('request CRC mismatch');
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  const address = frame[0] as number;
  const fn = frame[1] as number;
  if (fn === 3 || fn === 4) return { fn, address, start: buf.readUInt16BE(2), count: buf.readUInt16BE(4) };
  if (fn === 6) return { fn, address, register: buf.readUInt16BE(2), value: buf.readUInt16BE(4) };
  throw new ProtocolError(`byte 1: function ${hex(fn)} is not supported (3, 4 or 6 expected)`);
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
