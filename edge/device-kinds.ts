/**
 * What a registered device may be. Its own module without imports: the store, the API contract and
 * the kiosk's registration form all take the list from here.
 *
 * `integration` is a read-only client such as Home Assistant or Node-RED: it may also follow the appliance's topics.
 * `switch` is a Wi-Fi switch or dimmer speaking Tasmota's convention with its Topic set to the device id: it
 * reports on `stat/<id>/…` and `tele/<id>/…` and takes commands on `cmnd/<id>/…` (docs/mqtt.md).
 */
export const DEVICE_KINDS = [
  'sensor',
  'camera',
  'card-reader',
  'thermometer',
  'panel',
  'integration',
  'switch',
  'other',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
