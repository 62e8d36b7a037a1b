import { KeyRotation, signRotation } from '../answer-signing.js';
import { configSigningString, describeProblem, wireCheck } from '../protocol.js';
import { newKeyPair, privateKeyFrom, signText } from '../../edge/security/signing.js';
import type { DistrictStore } from './store.js';

const checkRotation = wireCheck(KeyRotation);

/** The district's rotation messages, oldest first; one that no longer reads as a rotation is a broken database. */
export async function keyRotation(store: DistrictStore): Promise<KeyRotation[]> {
  return (await store.keyRotations()).map((m, i) => {
    const r = checkRotation(m);
    if (!r.ok) throw new Error(`district_key_rotations row ${i + 1}: ${describeProblem(r.problem)}`);
    return r.value;
  });
}

/**
 * Move the district to a new key pair: the rotation message (new public key, not-before: now, as
 * the new key signs from now on) is signed with the old key and kept, and every later answer
 * carries it, so each appliance checks it with the key it pinned at enrolment before it pins the
 * new one. The desired configuration already published is signed again with the new key, so that
 * an appliance that has not applied it yet can still verify it.
 */
export async function rotateDistrictKey(store: DistrictStore, notBefore = new Date()): Promise<KeyRotation> {
  const old = await store.districtKey();
  const next = newKeyPair();
  const message = signRotation(privateKeyFrom(old.privateKeyPem), old.publicKeyPem, next.publicKeyPem, notBefore);
  if (!(await store.rotateDistrictKey(old.publicKeyPem, next, message)))
    throw new Error('the district key changed while it was being rotated: run the rotation again');
  const key = privateKeyFrom(next.privateKeyPem);
  for (const id of await store.configTargets({ all: true })) {
    const d = await store.desiredConfig(id);
    if (d)
      await store.putDesiredConfig(
        id,
        d.version,
        d.config,
        signText(configSigningString(id, d.version, d.config), key),
      );
  }
  return message;
}
