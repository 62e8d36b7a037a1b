import { gunzipSync } from 'node:zlib';
import { H, type BatchHeaders, type BatchLine } from '../protocol.js';

/** A request the district refuses: the HTTP status, a stable code and what was wrong. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** A real calendar day as YYYY-MM-DD (it also names a partition). */
export function validDay(d: unknown): boolean {
  if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

const invalid = (message: string): Refusal => new Refusal(400, 'invalid_input', message);

/** A JSON request body as an object; anything else (no body, an array, a number) is refused. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('expected a JSON object body');
  return body as Record<string, unknown>;
}

/** The fields every signed request carries. */
export function signedFields(body: unknown): { applianceId: string; nonce: string; signature: string } {
  const b = bodyObject(body);
  const { applianceId, nonce, signature } = b;
  if (typeof applianceId !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string' || !applianceId || !nonce || !signature || applianceId.length > 200 || nonce.length > 200 || signature.length > 200) {
    throw invalid('expected {applianceId, nonce, signature} (strings of at most 200 characters)');
  }
  return { applianceId, nonce, signature };
}

/** A batch's headers: its appliance, a UUID, the stream and 1 <= first <= last. */
export function batchHeaders(get: (name: string) => string | undefined): BatchHeaders & { signature: string } {
  const hdr = (name: string): string => {
    const v = get(name);
    if (!v) throw invalid(`missing header ${name}`);
    return v;
  };
  const h = { appliance: hdr(H.appliance), batch: hdr(H.batch), stream: hdr(H.stream), first: Number(hdr(H.first)), last: Number(hdr(H.last)), signature: hdr(H.signature) };
  if (!/^[0-9a-f-]{36}$/.test(h.batch) || !Number.isSafeInteger(h.first) || !Number.isSafeInteger(h.last) || h.first < 1 || h.last < h.first) {
    throw invalid('batch id must be a UUID and 1 <= first <= last');
  }
  return h;
}

/**
 * A batch's body: gzip NDJSON of `{seq, day, payload}` lines numbered `first..last` without gaps,
 * inflating to at most `maxInflated` bytes. Every line is checked before any is used.
 */
export function batchLines(body: unknown, h: BatchHeaders, maxInflated: number): BatchLine[] {
  if (!Buffer.isBuffer(body) || body.length === 0) throw invalid('empty body');
  let docs: unknown[];
  try {
    const text = gunzipSync(body, { maxOutputLength: maxInflated }).toString('utf8');
    docs = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  } catch (err) {
    throw invalid(`body is not gzip NDJSON: ${(err as Error).message}`);
  }
  const expected = `lines must be seq ${h.first}..${h.last} without gaps, each with a real day (YYYY-MM-DD)`;
  if (docs.length !== h.last - h.first + 1) throw invalid(`${expected}; got ${docs.length} lines`);
  return docs.map((d, i) => {
    const l = d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Partial<BatchLine>) : undefined;
    if (l?.seq !== h.first + i || !validDay(l.day)) throw invalid(`${expected}; line ${i + 1} is not`);
    return { seq: l.seq, day: l.day as string, payload: l.payload };
  });
}
