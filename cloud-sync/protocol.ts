import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson, signText, verifyText } from '../edge/security/signing.js';

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
  return signText(signingString(h, body), key);
}

export function verifyBatch(h: BatchHeaders, body: Buffer, signature: string, publicKeyPem: string): boolean {
  return verifyText(signingString(h, body), signature, publicKeyPem);
}

/** What a desired-configuration signature covers: the appliance, the version and the settings. */
export function configSigningString(applianceId: string, version: number, config: unknown): string {
  return ['classedge-config-v1', applianceId, String(version), createHash('sha256').update(canonicalJson(config)).digest('hex')].join('\n');
}
