import { DEVICE_MESSAGE_KINDS, type DeviceMessageKind, type LiveEventName } from '../messages.js';

/**
 * The MQTT topic scheme (docs/mqtt.md). A device owns `classedge/dev/<deviceId>/`; the appliance
 * owns `classedge/appliance/`.
 */
export const ROOT = 'classedge';
export const DEVICE_PREFIX = `${ROOT}/dev/`;

export const topics = {
  deviceMessage: (deviceId: string, kind: DeviceMessageKind): string => `${DEVICE_PREFIX}${deviceId}/${kind}`,
  deviceRejected: (deviceId: string): string => `${DEVICE_PREFIX}${deviceId}/rejected`,
  deviceCommands: (deviceId: string): string => `${DEVICE_PREFIX}${deviceId}/cmd/#`,
  availability: (): string => `${ROOT}/appliance/availability`,
  event: (name: LiveEventName): string => `${ROOT}/appliance/event/${name}`,
  /** Normalised sensor values from every source (Modbus too), for Home Assistant and other tools. */
  state: (deviceId: string, metric: string): string => `${ROOT}/appliance/state/${deviceId}/${metric}`,
  haDiscovery: (objectId: string): string => `homeassistant/sensor/${objectId}/config`,
};

export type ParsedDeviceTopic =
  { ok: true; deviceId: string; kind: DeviceMessageKind } | { ok: false; deviceId?: string; reason: string };

/** Parse `classedge/dev/<deviceId>/<kind>`; anything else is refused with the reason. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic {
  if (!topic.startsWith(DEVICE_PREFIX)) return { ok: false, reason: `topic outside ${DEVICE_PREFIX}<deviceId>/` };
  const rest = topic.slice(DEVICE_PREFIX.length).split('/');
  const [deviceId, kind, ...more] = rest;
  if (!deviceId) return { ok: false, reason: 'no device id in topic' };
  if (kind === undefined || more.length > 0)
    return { ok: false, deviceId, reason: `expected ${DEVICE_PREFIX}${deviceId}/<kind>` };
  if (!(DEVICE_MESSAGE_KINDS as readonly string[]).includes(kind)) {
    return {
      ok: false,
      deviceId,
      reason: `unknown message kind '${kind}' (expected one of ${DEVICE_MESSAGE_KINDS.join(', ')})`,
    };
  }
  return { ok: true, deviceId, kind: kind as DeviceMessageKind };
}

/**
 * May a device subscribe to this filter? Anything under its own prefix (wildcards there cannot
 * reach past it), and the appliance's availability. An integration (Home Assistant, Node-RED) may
 * also follow everything the appliance publishes, but no other device's topics.
 */
export function deviceMaySubscribe(deviceId: string, filter: string, integration = false): boolean {
  if (filter === topics.availability() || filter.startsWith(`${DEVICE_PREFIX}${deviceId}/`)) return true;
  return (
    integration &&
    (filter.startsWith(`${ROOT}/appliance/`) || filter === 'homeassistant/#' || filter.startsWith('homeassistant/'))
  );
}
