import { ProtocolError } from '../../edge/errors.js';

/**
 * GY-MCU90614 / GY-MCU90615 infrared thermometer boards, 9600 8N1. Commands `A5 15 BA` (one
 * reading), `A5 45 EA` (continuous output); reply `5A 5A 45 04 TOh TOl TAh TAl SUM`, SUM = low byte
 * of the sum of the first 8 bytes, TO object and TA ambient temperature, signed, × 100 °C.
 */
export const CMD_SINGLE = Buffer.from([0xa5, 0x15, 0xba]);
export const CMD_CONTINUOUS = Buffer.from([0xa5, 0x45, 0xea]);
export const FRAME_LEN = 9;

export interface IrReading {
  objectC: number;
  ambientC: number;
}

const sum8 = (b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < 8; i++) s += b[i] as number;
  return s & 0xff;
};

export function encodeReading(r: IrReading): Buffer {
  const b = Buffer.alloc(FRAME_LEN);
  b[0] = 0x5a;
  b[1] = 0x5a;
  b[2] = 0x45;
  b[3] = 0x04;
  b.writeInt16BE(Math.round(r.objectC * 100), 4);
  b.writeInt16BE(Math.round(r.ambientC * 100), 6);
  b[8] = sum8(b);
  return b;
}

/**
 * Take one frame from the front of a byte stream. Bytes before `5A 5A` are skipped and reported;
 * an incomplete frame waits; a frame with a wrong type, length or checksum is refused by name.
 */
export function takeReading(buf: Buffer): { reading?: IrReading; consumed: number; error?: string } {
  let start = -1;
  for (let i = 0; i + 1 < buf.length; i++)
    if (buf[i] === 0x5a && buf[i + 1] === 0x5a) {
      start = i;
      break;
    }
  if (start < 0) {
    const keep = buf.length > 0 && buf[buf.length - 1] === 0x5a ? 1 : 0;
    return {
      consumed: buf.length - keep,
      ...(buf.length - keep > 0 ? { error: `no 5A 5A frame start in ${buf.length - keep} bytes` } : {}),
    };
  }
  if (start > 0) return { consumed: start, error: `skipped ${start} bytes before 5A 5A` };
  if (buf.length < FRAME_LEN) return { consumed: 0 };
  const f = buf.subarray(0, FRAME_LEN);
  if (f[2] !== 0x45)
    return { consumed: 2, error: `byte 2: frame type ${(f[2] as number).toString(16)}, expected 45 (temperature)` };
  if (f[3] !== 0x04) return { consumed: 2, error: `byte 3: data length ${f[3]}, expected 4` };
  if (sum8(f) !== f[8])
    return {
      consumed: FRAME_LEN,
      error: `byte 8: checksum ${(f[8] as number).toString(16)}, expected ${sum8(f).toString(16)}`,
    };
  return { consumed: FRAME_LEN, reading: { objectC: f.readInt16BE(4) / 100, ambientC: f.readInt16BE(6) / 100 } };
}

/**
 * A forehead surface reading a living person can give, and a room the station can work in; the
 * problem names the field at fault (the kiosk words an object reading and an ambient one apart).
 */
export function readingProblem(
  r: IrReading,
  range: { minC: number; maxC: number },
): { path: '/objectC' | '/ambientC'; value: number; problem: string } | undefined {
  if (r.objectC < range.minC || r.objectC > range.maxC)
    return {
      path: '/objectC',
      value: r.objectC,
      problem: `object temperature ${r.objectC} °C is outside any human range (${range.minC}..${range.maxC} °C): measure again, closer to the forehead`,
    };
  if (r.ambientC < -10 || r.ambientC > 50)
    return {
      path: '/ambientC',
      value: r.ambientC,
      problem: `ambient temperature ${r.ambientC} °C is implausible (-10..50 °C): is the sensor faulty?`,
    };
  return undefined;
}

export function assertReading(buf: Buffer): IrReading {
  const r = takeReading(buf);
  if (!r.reading) throw new ProtocolError(r.error ?? 'incomplete frame');
  return r.reading;
}
