import { SerialPort } from 'serialport';
import { DeviceError } from '../../edge/errors.js';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits?: 8 | 7;
  stopBits?: 1 | 2;
}

/** Open a serial port (a USB-RS485/RS232 adapter, or one end of a pseudo-terminal pair). */
export function openSerial(o: SerialOptions): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: o.path, baudRate: o.baudRate, parity: o.parity, dataBits: o.dataBits ?? 8, stopBits: o.stopBits ?? 1, autoOpen: false });
    port.open((err) => {
      if (err) reject(new DeviceError(`cannot open serial port ${o.path}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}

export function closeSerial(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!port?.isOpen) return resolve();
    port.close(() => resolve());
  });
}

export function writeSerial(port: SerialPort, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(data, (err) => {
      if (err) return reject(new DeviceError(`write to ${port.path} failed: ${err.message}`, { cause: err }));
      port.drain((e) => (e ? reject(new DeviceError(`drain of ${port.path} failed: ${e.message}`)) : resolve()));
    });
  });
}
