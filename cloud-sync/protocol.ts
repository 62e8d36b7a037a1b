import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The appliance-district wire protocol, shared by both sides. A batch is gzip-compressed NDJSON of
 * `{seq, day, payload}` lines of one stream, numbered without gaps; it is signed with the
 * appliance's Ed25519 key over the headers and the SHA-256 of the compressed body. The district
 * answers with the highest sequence it has committed for that stream.
 */
export const H = {
  appliance: 'x-classedge-appliance',
  batch: 'x-classedge-batch',
  stream: 'x-classedge-stream',
  first: 'x-classedge-first',
  last: 'x-classedge-last',
  signature: 'x-classedge-signature',
} as const;

export interface BatchHeaders {
  appliance: string;
  batch: string;
  stream: string;
  first: number;
  last: number;
}

export interface BatchLine {
  seq: number;
  day: string;
  payload: unknown;
}

export function signingString(h: BatchHeaders, body: Buffer): string {
  return ['classedge-batch-v1', h.appliance, h.batch, h.stream, String(h.first), String(h.last), createHash('sha256').update(body).digest('hex')].join('\n');
}

export function signBatch(h: BatchHeaders, body: Buffer, key: KeyObject): string {
  return sign(null, Buffer.from(signingString(h, body)), key).toString('base64');
}

export function verifyBatch(h: BatchHeaders, body: Buffer, signature: string, publicKeyPem: string): boolean {
  try {
    return verify(null, Buffer.from(signingString(h, body)), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A signed message other than a batch (state queries, enrolment): the text itself is signed. */
export function signText(text: string, key: KeyObject): string {
  return sign(null, Buffer.from(text), key).toString('base64');
}

export function verifyText(text: string, signature: string, publicKeyPem: string): boolean {
  try {
    return verify(null, Buffer.from(text), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function newKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function privateKeyFrom(pem: string): KeyObject {
  return createPrivateKey(pem);
}

export function publicPemOf(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** Canonical JSON: keys sorted, so a signature covers the meaning, not the spelling. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** What a desired-configuration signature covers: the appliance, the version and the settings. */
export function configSigningString(applianceId: string, version: number, config: unknown): string {
  return ['classedge-config-v1', applianceId, String(version), createHash('sha256').update(canonicalJson(config)).digest('hex')].join('\n');
}
