import type { SerialPort } from 'serialport';
import { closeSerial, openSerial } from '../serial/serial-link.js';
import { CMD, frameReply, reply } from '../camera/vc0706.js';

export type Vc0706Fault = 'silent' | 'bad-status' | 'garbage' | 'truncated' | 'bad-trailer';

/**
 * A VC0706 serial JPEG camera on the far end of a pty: it answers the real request bytes with the
 * real reply bytes and serves `picture` (a real JPEG) from its frozen frame buffer.
 */
export class Vc0706Sim {
  picture: Buffer = Buffer.alloc(0);
  fault: Vc0706Fault | undefined;
  reads = 0;
  #frozen: Buffer | undefined;
  #port: SerialPort | undefined;
  #rx = Buffer.alloc(0);

  async listen(path: string, baudRate = 38400): Promise<void> {
    const port = await openSerial({ path, baudRate, parity: 'none' });
    this.#port = port;
    port.on('error', () => undefined);
    port.on('data', (c: Buffer) => {
      this.#rx = Buffer.concat([this.#rx, c]);
      this.#drain();
    });
  }

  #drain(): void {
    for (;;) {
      const start = this.#rx.indexOf(0x56);
      if (start < 0) {
        this.#rx = Buffer.alloc(0);
        return;
      }
      const b = this.#rx.subarray(start);
      if (b.length < 4 || b.length < 4 + b[3]!) return;
      const cmd = b[2]!;
      const args = b.subarray(4, 4 + b[3]!);
      this.#rx = b.subarray(4 + b[3]!);
      this.#answer(cmd, args);
    }
  }

  #send(bytes: Buffer): void {
    if (this.fault === 'silent') return;
    if (this.fault === 'garbage') bytes = Buffer.concat([Buffer.from([0x13, 0x37, 0x76]), bytes]);
    if (this.fault === 'bad-status')
      bytes = Buffer.from(bytes.subarray(0, 3).toString('hex') + '01' + bytes.subarray(4).toString('hex'), 'hex');
    this.#port?.write(bytes);
  }

  #answer(cmd: number, args: Buffer): void {
    switch (cmd) {
      case CMD.fbufCtrl:
        this.#frozen = args[0] === 0x00 ? this.picture : undefined;
        return this.#send(reply(cmd));
      case CMD.fbufLen: {
        const len = Buffer.alloc(4);
        len.writeUInt32BE((this.#frozen ?? this.picture).length);
        return this.#send(reply(cmd, len));
      }
      case CMD.readFbuf: {
        this.reads++;
        const address = args.readUInt32BE(2);
        const length = args.readUInt32BE(6);
        const data = (this.#frozen ?? this.picture).subarray(address, address + length);
        let out = frameReply(data);
        if (this.fault === 'truncated') out = out.subarray(0, out.length - 20);
        if (this.fault === 'bad-trailer') out[out.length - 1] = 0xee;
        return this.#send(out);
      }
      case CMD.imageSize:
      case CMD.reset:
        return this.#send(reply(cmd));
      case CMD.version:
        return this.#send(reply(cmd, Buffer.from('VC0703 1.00')));
      default:
        return this.#send(reply(cmd, [], 0x01));
    }
  }

  async close(): Promise<void> {
    await closeSerial(this.#port);
    this.#port = undefined;
  }
}
