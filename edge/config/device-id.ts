import { Type, type StringOptions, type TString } from '@sinclair/typebox';
import { DEVICE_ID_SOURCE } from './device-id-source.js';

export { DEVICE_ID_SOURCE };

/**
 * A device id: lower-case letters, digits and dashes, 2-63 long. It becomes an MQTT username, a
 * topic level and a readings key, so every place that names a device checks this one pattern.
 */
export const DEVICE_ID_PATTERN = new RegExp(DEVICE_ID_SOURCE);

/** A schema field holding a device id. */
export function DeviceId(options: Omit<StringOptions, 'pattern'> = {}): TString {
  return Type.String({ ...options, pattern: DEVICE_ID_SOURCE });
}
