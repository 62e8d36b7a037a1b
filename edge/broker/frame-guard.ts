import { Transform, type TransformCallback } from 'node:stream';
import { ProtocolError } from '../errors.js';

/**
 * Sits between a device's socket and the MQTT parser and reads only each packet's fixed header.
 * A packet that announces more than `maxPacketBytes` ends the connection before its body is
 * buffered, so one bad or hostile client cannot make the broker hold megabytes. The broker starts
 * every connection at the small pre-login limit and raises it once the client has logged in.
 */
export class FrameGuard extends Transform {
  #max: number;
  /** Bytes of the current packet still to pass through without inspection. */
  #skip = 0;
  /** Header bytes collected so far (type byte + up to 4 length bytes). */
  #header: number[] = [];

  constructor(maxPacketBytes: number) {
    super();
    this.#max = maxPacketBytes;
  }

  /** Applies from the next packet header on. */
  set maxPacketBytes(n: number) {
    this.#max = n;
  }

  get maxPacketBytes(): number {
    return this.#max;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++] as number;
      this.#header.push(byte);
      if (this.#header.length === 1) continue;
      if ((byte & 0x80) !== 0) {
        if (this.#header.length === 5) {
          cb(new ProtocolError('MQTT remaining length longer than 4 bytes'));
          return;
        }
        continue;
      }
      let len = 0;
      for (let k = this.#header.length - 1; k >= 1; k--) len = len * 128 + ((this.#header[k] as number) & 0x7f);
      if (len > this.#max) {
        cb(new ProtocolError(`MQTT packet of ${len} bytes exceeds the limit of ${this.#max}`));
        return;
      }
      this.#skip = len;
      this.#header = [];
    }
    cb(null, chunk);
  }
}
