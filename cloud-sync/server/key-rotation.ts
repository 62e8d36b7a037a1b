import {
  AnswerKeyCertificate,
  KeyRotation,
  answerKeyCertified,
  certifyAnswerKey,
  signRotation,
} from '../answer-signing.js';
import { configSigningString, describeProblem, wireCheck } from '../protocol.js';
import { newKeyPair, privateKeyFrom, signText } from '../../edge/security/signing.js';
import type { AnswerKeyRow, DistrictStore } from './store.js';
import type { AnswerKey } from './answer-signer.js';

const checkRotation = wireCheck(KeyRotation);
const checkCertificate = wireCheck(AnswerKeyCertificate);

/** The district's rotation messages, oldest first; one that no longer reads as a rotation is a broken database. */
export async function keyRotation(store: DistrictStore): Promise<KeyRotation[]> {
  return (await store.keyRotations()).map((m, i) => {
    const r = checkRotation(m);
    if (!r.ok) throw new Error(`district_key_rotations row ${i + 1}: ${describeProblem(r.problem)}`);
    return r.value;
  });
}

/** A new answer key pair, certified by the district key (`districtPrivateKeyPem`). */
function newAnswerKey(districtPrivateKeyPem: string): AnswerKeyRow {
  const k = newKeyPair();
  return { ...k, certificate: certifyAnswerKey(k.publicKeyPem, privateKeyFrom(districtPrivateKeyPem)) };
}

/**
 * Make the receiver's answer key when there is none, or when its certificate is not the current
 * district key's: run by whoever holds the district key (`migrate`), never by the receiver.
 */
export async function ensureAnswerKey(store: DistrictStore): Promise<void> {
  const district = await store.districtKey();
  const current = await store.answerKey();
  const cert = current && checkCertificate(current.certificate);
  if (
    cert?.ok &&
    cert.value.publicKey === current?.publicKeyPem &&
    answerKeyCertified(cert.value, district.publicKeyPem)
  )
    return;
  await store.putAnswerKey(newAnswerKey(district.privateKeyPem));
}

/** What the receiver signs answers with: the answer key, its certificate and the district's rotations. */
export async function loadAnswerKey(store: DistrictStore): Promise<AnswerKey> {
  const k = await store.answerKey();
  if (!k)
    throw new Error('the district has no answer key: run classedge-district migrate (with the owner login) first');
  const cert = checkCertificate(k.certificate);
  if (!cert.ok) throw new Error(`district_answer_key certificate: ${describeProblem(cert.problem)}`);
  return { key: privateKeyFrom(k.privateKeyPem), certificate: cert.value, rotations: await keyRotation(store) };
}

/**
 * Move the district to a new key pair: the rotation message (new public key, not-before: now, as
 * the new key signs from now on) is signed with the old key and kept, and every later answer
 * carries it, so each appliance checks it with the key it pinned at enrolment before it pins the
 * new one. A new answer key certified by the new key comes with it. The desired configuration
 * already published is signed again with the new key, so that an appliance that has not applied
 * it yet can still verify it.
 */
export async function rotateDistrictKey(store: DistrictStore, notBefore = new Date()): Promise<KeyRotation> {
  const old = await store.districtKey();
  const next = newKeyPair();
  const message = signRotation(privateKeyFrom(old.privateKeyPem), old.publicKeyPem, next.publicKeyPem, notBefore);
  if (!(await store.rotateDistrictKey(old.publicKeyPem, next, message, newAnswerKey(next.privateKeyPem))))
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
