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
  haDiscovery: (objectId: string, component: 'sensor' | 'binary_sensor' = 'sensor'): string =>
    `homeassistant/${component}/${objectId}/config`,
  /** The room's switches and scene, retained, for Home Assistant and other tools (read-only). */
  roomSwitch: (id: string): string => `${ROOT}/appliance/room/switch/${id}`,
  roomSwitchAvailability: (id: string): string => `${ROOT}/appliance/room/switch/${id}/availability`,
  roomScene: (): string => `${ROOT}/appliance/room/scene`,
  /** Tasmota's convention (FullTopic `%prefix%/%topic%/`, Topic = the device id). */
  tasmotaCommand: (deviceId: string, command: string): string => `cmnd/${deviceId}/${command}`,
};

/** A Tasmota key (POWER, POWER2, RESULT, STATE, LWT, Dimmer...): letters, digits, underscore. */
const TASMOTA_KEY = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

export type ParsedTasmotaTopic =
  { ok: true; prefix: 'stat' | 'tele'; deviceId: string; key: string } | { ok: false; reason: string };

/** Parse `stat/<deviceId>/<KEY>` or `tele/<deviceId>/<KEY>`, what a switch of Tasmota's convention publishes. */
export function parseTasmotaTopic(topic: string): ParsedTasmotaTopic {
  const [prefix, deviceId, key, ...more] = topic.split('/');
  if ((prefix !== 'stat' && prefix !== 'tele') || !deviceId || key === undefined || more.length > 0)
    return { ok: false, reason: 'expected stat/<deviceId>/<KEY> or tele/<deviceId>/<KEY>' };
  if (!TASMOTA_KEY.test(key)) return { ok: false, reason: `key '${key.slice(0, 40)}': expected letters, digits and _` };
  return { ok: true, prefix, deviceId, key };
}

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
export function deviceMaySubscribe(
  deviceId: string,
  filter: string,
  o: { integration?: boolean; tasmota?: boolean } = {},
): boolean {
  const { integration = false, tasmota = false } = o;
  if (filter === topics.availability() || filter.startsWith(`${DEVICE_PREFIX}${deviceId}/`)) return true;
  // A switch follows its own commands (Tasmota subscribes to cmnd/<topic>/#); wildcards there cannot reach past it.
  if (tasmota && filter.startsWith(`cmnd/${deviceId}/`)) return true;
  return (
    integration &&
    (filter.startsWith(`${ROOT}/appliance/`) || filter === 'homeassistant/#' || filter.startsWith('homeassistant/'))
  );
}
