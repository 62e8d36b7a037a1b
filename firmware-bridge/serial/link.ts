import { connect, type Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import { DeviceError } from '../../edge/errors.js';
import { closeSerial, openSerial, writeSerial } from './serial-link.js';

/** A byte pipe to a device: a serial port or a TCP socket, so one protocol serves both. */
export interface ByteLink {
  readonly description: string;
  write(data: Buffer): Promise<void>;
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once when the link drops (adapter unplugged, socket closed). */
  onClose(fn: (why: string) => void): void;
  close(): Promise<void>;
}

export async function openSerialLink(path: string, baudRate: number): Promise<ByteLink> {
  const port: SerialPort = await openSerial({ path, baudRate, parity: 'none' });
  let closing = false;
  return {
    description: `${path} @ ${baudRate}`,
    write: (data) => writeSerial(port, data),
    onData: (fn) => port.on('data', fn),
    onClose: (fn) => port.on('close', () => !closing && fn(`serial port ${path} closed`)),
    close: async () => {
      closing = true;
      await closeSerial(port);
    },
  };
}

export function openTcpLink(host: string, port: number, timeoutMs = 3000): Promise<ByteLink> {
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
        write: (data) => new Promise((res, rej) => sock.write(data, (err) => (err ? rej(new DeviceError(`write to ${host}:${port} failed: ${err.message}`)) : res()))),
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
