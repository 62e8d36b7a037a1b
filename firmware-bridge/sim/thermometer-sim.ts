import type { SerialPort } from 'serialport';
import { CMD_CONTINUOUS, CMD_SINGLE, encodeReading, type IrReading } from '../thermometer/gy-mcu906.js';
import { closeSerial, openSerial } from '../serial/serial-link.js';

/** The 3-byte command and the 9-byte reply at 9600 baud, 11 bits a character: the device's floor. */
export const WIRE_MS = ((3 + 9) * 11 * 1000) / 9600;

export type ThermometerFault = 'bad-checksum' | 'truncated' | 'garbage' | 'silent';

/**
 * A GY-MCU90614 board at the door: answers `A5 15 BA` with one 9-byte frame, streams frames after
 * `A5 45 EA`. `next` is what the next child's forehead will read; faults corrupt the frame.
 */
export class ThermometerSim {
  next: IrReading = { objectC: 36.4, ambientC: 22.5 };
  fault: ThermometerFault | undefined;
  /** A board slower than the driver's timeout: each reply comes this long after its command. */
  replyDelayMs: number | undefined;
  requests = 0;
  #port: SerialPort | undefined;
  #rx = Buffer.alloc(0);
  #stream: NodeJS.Timeout | undefined;

  async listen(path: string): Promise<void> {
    const port = await openSerial({ path, baudRate: 9600, parity: 'none' });
    this.#port = port;
    port.on('error', () => undefined);
    port.on('data', (c: Buffer) => {
      this.#rx = Buffer.concat([this.#rx, c]);
      while (this.#rx.length >= 3) {
        const cmd = this.#rx.subarray(0, 3);
        if (cmd.equals(CMD_SINGLE)) {
          this.requests++;
          this.#send();
        } else if (cmd.equals(CMD_CONTINUOUS)) {
          this.#stream ??= setInterval(() => this.#send(), 250);
        } else {
          this.#rx = this.#rx.subarray(1);
          continue;
        }
        this.#rx = this.#rx.subarray(3);
      }
    });
  }

  #send(): void {
    let frame = encodeReading(this.next);
    switch (this.fault) {
      case undefined:
        break;
      case 'silent':
        return;
      case 'bad-checksum':
        frame[8] = (frame[8] as number) ^ 0x01;
        break;
      case 'truncated':
        frame = frame.subarray(0, 5);
        break;
      case 'garbage':
        frame = Buffer.from([0x13, 0x37, 0x5a, 0x00, 0xff]);
        break;
    }
    setTimeout(() => this.#port?.write(frame), this.replyDelayMs ?? WIRE_MS);
  }

  async close(): Promise<void> {
    if (this.#stream) clearInterval(this.#stream);
    await closeSerial(this.#port);
  }
}
