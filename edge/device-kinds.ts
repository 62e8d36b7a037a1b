/**
 * What a registered device may be. Its own module without imports: the store, the API contract and
 * the kiosk's registration form all take the list from here.
 *
 * `integration` is a read-only client such as Home Assistant or Node-RED: it may also follow the appliance's topics.
 */
export const DEVICE_KINDS = [
  'sensor',
  'camera',
  'card-reader',
  'thermometer',
  'panel',
  'integration',
  'other',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
