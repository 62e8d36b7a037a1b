import { createHash, type KeyObject } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { canonicalJson, signText, verifyText } from '../edge/security/signing.js';

/**
 * Answers signed by the district, and the rotation of the district's key.
 *
 * An answer that changes the appliance's state (stream positions delete outbox rows, a
 * configuration is applied) carries `answerSignature`: a signature over the appliance id, the
 * digest of the request it answers (the text the appliance signed, which holds a fresh nonce or
 * batch id), the HTTP status and the answer's canonical JSON. So an answer cannot be forged on the
 * way, nor replayed for another request, another appliance or another status.
 *
 * The signature is made with the district's *answer key*, which the internet-facing receiver holds;
 * the district key itself (configuration, update bundles) stays out of the receiver's reach and
 * only certifies the answer key (`answerKey`: its public key, signed by the district key). The
 * appliance checks the certificate with the district key it pinned, then the answer with the
 * answer key.
 *
 * When the district changes its key, it signs a rotation message with the old key and sends its
 * rotations with every answer (`keyRotations`, oldest first); an appliance accepts a message only
 * when its pinned key verifies it, and then pins the new key.
 */

export const ANSWER_SIGNATURE = 'answerSignature';
export const ANSWER_KEY = 'answerKey';
export const KEY_ROTATIONS = 'keyRotations';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The digest that binds an answer to its request: SHA-256 of the text the appliance signed in the request. */
export const requestDigest = (requestSigningText: string): string => sha256(requestSigningText);

/** The answer body a signature covers: the answer as it crosses the wire, without its own signature. */
function coveredBody(body: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(body).filter(([k]) => k !== ANSWER_SIGNATURE));
  return canonicalJson(rest);
}

/** What an answer signature covers. */
export function answerSigningString(
  applianceId: string,
  requestSigningText: string,
  status: number,
  body: Record<string, unknown>,
): string {
  return [
    'classedge-answer-v1',
    applianceId,
    requestDigest(requestSigningText),
    String(status),
    sha256(coveredBody(body)),
  ].join('\n');
}

/**
 * The body with its signature added. The body is first put through JSON as the wire will, so that what is signed
 * is exactly what the appliance parses (an `undefined` field, a Date, a bigint would otherwise differ).
 */
export function signAnswer(
  applianceId: string,
  requestSigningText: string,
  status: number,
  body: unknown,
  key: KeyObject,
): Record<string, unknown> {
  const wire = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  return {
    ...wire,
    [ANSWER_SIGNATURE]: signText(answerSigningString(applianceId, requestSigningText, status, wire), key),
  };
}

export function verifyAnswerSignature(
  applianceId: string,
  requestSigningText: string,
  status: number,
  body: Record<string, unknown>,
  publicKeyPem: string,
): boolean {
  const signature = body[ANSWER_SIGNATURE];
  if (typeof signature !== 'string') return false;
  return verifyText(answerSigningString(applianceId, requestSigningText, status, body), signature, publicKeyPem);
}

// ---- The answer key's certificate ----------------------------------------------------------------

/** The receiver's answer key, certified by the district key. */
export const AnswerKeyCertificate = Type.Object(
  {
    publicKey: Type.String({ pattern: 'BEGIN PUBLIC KEY', maxLength: 1000, expected: 'a public key (PEM)' }),
    signature: Type.String({ minLength: 1, maxLength: 200, expected: "the district key's signature (base64)" }),
  },
  { expected: 'an answer key certificate object' },
);
export type AnswerKeyCertificate = Static<typeof AnswerKeyCertificate>;

export const answerKeySigningString = (publicKeyPem: string): string =>
  ['classedge-answer-key-v1', sha256(publicKeyPem)].join('\n');

export function certifyAnswerKey(answerPublicKeyPem: string, districtKey: KeyObject): AnswerKeyCertificate {
  return {
    publicKey: answerPublicKeyPem,
    signature: signText(answerKeySigningString(answerPublicKeyPem), districtKey),
  };
}

export function answerKeyCertified(c: AnswerKeyCertificate, districtPublicKeyPem: string): boolean {
  return verifyText(answerKeySigningString(c.publicKey), c.signature, districtPublicKeyPem);
}

// ---- Key rotation --------------------------------------------------------------------------------

/** The district's move to a new key: the new public key, from when it signs, signed by the old key. */
export const KeyRotation = Type.Object(
  {
    newPublicKey: Type.String({ pattern: 'BEGIN PUBLIC KEY', maxLength: 1000, expected: 'a public key (PEM)' }),
    notBefore: Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$',
      expected: 'an ISO time in UTC (YYYY-MM-DDTHH:MM:SSZ)',
    }),
    /** SHA-256 (hex) of the old public key's PEM: which key this message replaces. */
    previousKey: Type.String({ pattern: '^[0-9a-f]{64}$', expected: 'a SHA-256 in hex' }),
    signature: Type.String({ minLength: 1, maxLength: 200, expected: 'a signature (base64)' }),
  },
  { expected: 'a key rotation object' },
);
export type KeyRotation = Static<typeof KeyRotation>;

/** SHA-256 (hex) of a public key's PEM, the key's name in a rotation message. */
export const keyFingerprint = (publicKeyPem: string): string => sha256(publicKeyPem);

export function rotationSigningString(r: Omit<KeyRotation, 'signature'>): string {
  return ['classedge-district-key-rotation-v1', r.previousKey, sha256(r.newPublicKey), r.notBefore].join('\n');
}

/** A rotation from the key pair `oldKey`/`oldPublicKeyPem` to `newPublicKeyPem`, valid from `notBefore`. */
export function signRotation(
  oldKey: KeyObject,
  oldPublicKeyPem: string,
  newPublicKeyPem: string,
  notBefore: Date,
): KeyRotation {
  const r = {
    newPublicKey: newPublicKeyPem,
    notBefore: notBefore.toISOString(),
    previousKey: keyFingerprint(oldPublicKeyPem),
  };
  return { ...r, signature: signText(rotationSigningString(r), oldKey) };
}

/** How far ahead of the appliance's clock a rotation's not-before may be (the district's clock may run ahead). */
export const ROTATION_SKEW_MS = 5 * 60_000;

/**
 * Why a rotation is refused by an appliance that pins `pinnedPem` at `now`, or undefined when it is accepted: it must
 * name the pinned key as the one it replaces, be signed by it, and be due (within `ROTATION_SKEW_MS`).
 */
export function rotationProblem(r: KeyRotation, pinnedPem: string, now: number): string | undefined {
  if (r.previousKey !== keyFingerprint(pinnedPem))
    return `keyRotation/previousKey: expected the pinned district key ${keyFingerprint(pinnedPem).slice(0, 16)}…, got ${r.previousKey.slice(0, 16)}…`;
  if (!verifyText(rotationSigningString(r), r.signature, pinnedPem))
    return 'keyRotation/signature: does not verify with the pinned district key';
  if (Date.parse(r.notBefore) > now + ROTATION_SKEW_MS)
    return `keyRotation/notBefore: ${r.notBefore} is still in the future`;
  if (r.newPublicKey === pinnedPem) return 'keyRotation/newPublicKey: the same key as the pinned one';
  return undefined;
}
