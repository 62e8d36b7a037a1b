import { connect, type Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import { DeviceError } from '../../edge/errors.js';
import { closeSerial, openSerial, SerialWriteTimeout, writeSerial } from './serial-link.js';

/** A byte pipe to a device: a serial port or a TCP socket, so one protocol serves both. */
export interface ByteLink {
  readonly description: string;
  write(data: Buffer): Promise<void>;
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once when the link drops (adapter unplugged, socket closed). */
  onClose(fn: (why: string) => void): void;
  close(): Promise<void>;
}

/** `writeTimeoutMs`: a write that has not left the port by then rejects with SerialWriteTimeout. */
export async function openSerialLink(
  path: string,
  baudRate: number,
  writeTimeoutMs: number,
  signal?: AbortSignal,
): Promise<ByteLink> {
  const port: SerialPort = await openSerial({ path, baudRate, parity: 'none' }, signal);
  let closing = false;
  // An error event without a listener would end the process; a lost port also closes, which onClose reports.
  port.on('error', () => undefined);
  return {
    description: `${path} @ ${baudRate}`,
    write: async (data) => {
      try {
        await writeSerial(port, data, writeTimeoutMs);
      } catch (err) {
        // A write that never drained leaves the port in an unknown state: close it so the owner's
        // onClose reconnects, as after an unplug.
        if (err instanceof SerialWriteTimeout && !closing) port.close(() => undefined);
        throw err;
      }
    },
    onData: (fn) => port.on('data', fn),
    onClose: (fn) => port.on('close', () => !closing && fn(`serial port ${path} closed`)),
    close: async () => {
      closing = true;
      await closeSerial(port);
    },
  };
}

export function openTcpLink(host: string, port: number, writeTimeoutMs: number, timeoutMs = 3000): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port });
    let closing = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new DeviceError(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(new DeviceError(`cannot connect to ${host}:${port}: ${err.message}`));
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      sock.on('error', () => undefined);
      resolve({
        description: `tcp://${host}:${port}`,
        write: (data) =>
          new Promise((res, rej) => {
            // A peer that stops reading leaves the write buffered forever: bound it like a serial write.
            const timer = setTimeout(() => {
              rej(
                new SerialWriteTimeout(
                  `write of ${data.length} bytes to ${host}:${port} did not complete within ${writeTimeoutMs} ms (the far side is not reading)`,
                ),
              );
              sock.destroy();
            }, writeTimeoutMs);
            sock.write(data, (err) => {
              clearTimeout(timer);
              if (err) rej(new DeviceError(`write to ${host}:${port} failed: ${err.message}`));
              else res();
            });
          }),
        onData: (fn) => sock.on('data', fn),
        onClose: (fn) => sock.on('close', () => !closing && fn(`connection to ${host}:${port} closed`)),
        close: async () => {
          closing = true;
          sock.destroy();
        },
      });
    });
  });
}
