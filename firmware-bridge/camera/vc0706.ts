/**
 * The VC0706 serial JPEG camera protocol (devices.md): requests `56 00 <cmd> <len> <args>`,
 * replies `76 00 <cmd> <status> <len> <data>`; a frame read comes between two `76 00 32 00 00`
 * headers. Pure encoding and decoding, shared by the driver and the simulator.
 */
export const CMD = {
  reset: 0x26,
  version: 0x11,
  fbufCtrl: 0x36,
  fbufLen: 0x34,
  readFbuf: 0x32,
  imageSize: 0x54,
} as const;
export const IMAGE_SIZES = { '640x480': 0x00, '320x240': 0x11, '160x120': 0x22 } as const;
export type ImageSize = keyof typeof IMAGE_SIZES;

export const request = (cmd: number, args: readonly number[] = []): Buffer =>
  Buffer.from([0x56, 0x00, cmd, args.length, ...args]);
export const freeze = (): Buffer => request(CMD.fbufCtrl, [0x00]);
export const resume = (): Buffer => request(CMD.fbufCtrl, [0x03]);
export const frameLength = (): Buffer => request(CMD.fbufLen, [0x00]);
export const setImageSize = (size: ImageSize): Buffer => request(CMD.imageSize, [IMAGE_SIZES[size]]);

/** Read `length` bytes of the frozen frame from `address`; `delay` in units of 0.01 ms as the module expects. */
export function readFrame(address: number, length: number, delay = 0x000a): Buffer {
  const b = Buffer.from([0x56, 0x00, CMD.readFbuf, 0x0c, 0x00, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, delay >> 8, delay & 0xff]);
  b.writeUInt32BE(address, 6);
  b.writeUInt32BE(length, 10);
  return b;
}

export const reply = (cmd: number, data: readonly number[] | Buffer = [], status = 0): Buffer =>
  Buffer.concat([Buffer.from([0x76, 0x00, cmd, status, data.length]), Buffer.from(data)]);
/** The simulator's answer to a frame read: header, the bytes, header again. */
export const frameReply = (bytes: Buffer): Buffer => Buffer.concat([reply(CMD.readFbuf), bytes, reply(CMD.readFbuf)]);

export type Decoded = { consumed: number; data?: Buffer; error?: string; skipped?: number };

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/**
 * Take one reply to `cmd` from the start of `buf`. Bytes before a reply header are skipped and
 * reported; an incomplete reply consumes nothing (more bytes are awaited); a failed status or a
 * reply to another command is an error naming the byte. For a frame read, `frameBytes` is how many
 * JPEG bytes sit between the two headers.
 */
export function decodeReply(buf: Buffer, cmd: number, frameBytes?: number): Decoded {
  let start = -1;
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 0x76 && buf[i + 1] === 0x00) {
      start = i;
      break;
    }
  }
  if (start < 0) return buf.length > 1 ? { consumed: buf.length - 1, skipped: buf.length - 1 } : { consumed: 0 };
  const skipped = start > 0 ? { skipped: start } : {};
  const b = buf.subarray(start);
  if (b.length < 5) return { consumed: start, ...skipped };
  if (b[2] !== cmd)
    return { consumed: start + 3, error: `byte 2: reply to command ${hex(b[2]!)}, expected ${hex(cmd)}`, ...skipped };
  // A refusal's data may not have arrived yet: consume what is here, never more than the buffer.
  if (b[3] !== 0)
    return {
      consumed: start + Math.min(5 + b[4]!, b.length),
      error: `byte 3: status ${hex(b[3]!)} (the module refused command ${hex(cmd)})`,
      ...skipped,
    };
  if (frameBytes === undefined) {
    const len = b[4]!;
    if (b.length < 5 + len) return { consumed: start, ...skipped };
    return { consumed: start + 5 + len, data: Buffer.from(b.subarray(5, 5 + len)), ...skipped };
  }
  if (b[4] !== 0)
    return { consumed: start + 5, error: `byte 4: frame read header length ${b[4]}, expected 0`, ...skipped };
  const total = 5 + frameBytes + 5;
  if (b.length < total) return { consumed: start, ...skipped };
  const tail = b.subarray(5 + frameBytes, total);
  if (!tail.equals(reply(CMD.readFbuf)))
    return {
      consumed: start + total,
      error: `byte ${5 + frameBytes}: expected the closing header 76 00 32 00 00, found ${tail.toString('hex')}`,
      ...skipped,
    };
  return { consumed: start + total, data: Buffer.from(b.subarray(5, 5 + frameBytes)), ...skipped };
}

/** The 4-byte frame length of a `34` reply. */
export function lengthOf(data: Buffer): number {
  if (data.length !== 4) throw new RangeError(`frame length reply carries ${data.length} bytes, expected 4`);
  return data.readUInt32BE(0);
}
