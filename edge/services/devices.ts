import type { Store } from '../store/store.js';
import { DEVICE_ID_PATTERN, DEVICE_KINDS, type Device, type DeviceKind } from '../store/repos/devices.js';
import { DEVICE_COST, hashSecret, randomSecret } from '../security/secrets.js';
import { ValidationError } from '../errors.js';
import { DEVICE_PREFIX } from '../broker/topics.js';
import { SERVICE_USERNAME } from '../broker/broker.js';

export interface IssuedCredentials {
  device: Device;
  mqtt: { username: string; password: string; topicPrefix: string };
}

function credentials(device: Device, password: string): IssuedCredentials {
  return { device, mqtt: { username: device.id, password, topicPrefix: `${DEVICE_PREFIX}${device.id}/` } };
}

/**
 * Register a device and issue its MQTT secret. The secret is returned once and stored only as a
 * slow hash. The CLI and the admin console both come through here.
 */
export async function addDevice(
  store: Store,
  input: { id: string; kind: string; description?: string },
  actor: string,
): Promise<IssuedCredentials> {
  const issues = [];
  if (!DEVICE_ID_PATTERN.test(input.id) || input.id === SERVICE_USERNAME) {
    issues.push({
      path: '/id',
      expected: `lower-case letters, digits and dashes, 2-63 long (${DEVICE_ID_PATTERN.source})`,
      value: input.id,
    });
  }
  if (!(DEVICE_KINDS as readonly string[]).includes(input.kind)) {
    issues.push({ path: '/kind', expected: `one of ${DEVICE_KINDS.join(', ')}`, value: input.kind });
  }
  if ((input.description ?? '').length > 200)
    issues.push({ path: '/description', expected: 'at most 200 characters', value: input.description });
  if (issues.length > 0) throw new ValidationError('device', issues);
  const password = randomSecret();
  const device = store.devices.add({
    id: input.id,
    kind: input.kind as DeviceKind,
    description: input.description ?? '',
    secretHash: await hashSecret(password, DEVICE_COST),
    createdBy: actor,
  });
  store.audit.record({ actor, action: 'device.add', target: device.id, result: 'ok', detail: { kind: device.kind } });
  return credentials(device, password);
}

export async function rotateDeviceSecret(store: Store, id: string, actor: string): Promise<IssuedCredentials> {
  const password = randomSecret();
  store.devices.setSecret(id, await hashSecret(password, DEVICE_COST));
  store.audit.record({ actor, action: 'device.rotate-secret', target: id, result: 'ok' });
  return credentials(store.devices.get(id), password);
}

export function removeDevice(store: Store, id: string, actor: string): void {
  store.devices.remove(id);
  store.audit.record({ actor, action: 'device.remove', target: id, result: 'ok' });
}
