import { SerialPort } from 'serialport';
import { DeviceError } from '../../edge/errors.js';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits?: 8 | 7;
  stopBits?: 1 | 2;
}

/** A write that did not reach the wire in time: flow control stuck, or nothing reads the far side. */
export class SerialWriteTimeout extends DeviceError {}

/**
 * Open a serial port (a USB-RS485/RS232 adapter, or one end of a pseudo-terminal pair). An open
 * cannot be cancelled once asked of the driver (a wedged USB adapter can hold it for long), so
 * `signal` ends the wait and the port, should it open after all, is closed again.
 */
export function openSerial(o: SerialOptions, signal?: AbortSignal): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const port = new SerialPort({
      path: o.path,
      baudRate: o.baudRate,
      parity: o.parity,
      dataBits: o.dataBits ?? 8,
      stopBits: o.stopBits ?? 1,
      autoOpen: false,
    });
    const onAbort = (): void => reject(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    port.open((err) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(new DeviceError(`cannot open serial port ${o.path}: ${err.message}`, { cause: err }));
      else if (signal?.aborted) port.close(() => undefined);
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

/**
 * Write and wait until the bytes have left. Without a bound a stuck line (hardware flow control
 * never released, a far side that stopped reading) would hold the driver's request queue forever,
 * so after `timeoutMs` the promise rejects with SerialWriteTimeout; the port is then in an unknown
 * state and its owner should close and reopen it.
 */
export function writeSerial(port: SerialPort, data: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        settle(
          new SerialWriteTimeout(
            `write of ${data.length} bytes to ${port.path} did not complete within ${timeoutMs} ms (flow control stuck, or the far side is not reading)`,
          ),
        ),
      timeoutMs,
    );
    port.write(data, (err) => {
      if (err) return settle(new DeviceError(`write to ${port.path} failed: ${err.message}`, { cause: err }));
      port.drain((e) =>
        settle(e ? new DeviceError(`drain of ${port.path} failed: ${e.message}`, { cause: e }) : undefined),
      );
    });
  });
}
