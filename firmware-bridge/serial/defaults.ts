/**
 * Default of every serial or TCP link's `writeTimeoutMs` setting. Kept apart from serial-link.ts so
 * that the component kinds' schemas can name it without loading the native serialport module.
 */
export const SERIAL_WRITE_TIMEOUT_MS = 1000;
