import { gunzipSync } from 'node:zlib';
import {
  BatchHeaders,
  BatchLine,
  ConfigAppliedRequest,
  EnrolRequest,
  H,
  RestoredRequest,
  SignedRequest,
  describeProblem,
  wireCheck,
  type Checked,
  type ErrorAnswer,
} from '../protocol.js';

/** A request the district refuses: the HTTP status, a stable code and what was wrong. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Pick<ErrorAnswer, 'committedSeq'> = {},
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

/** The checked value, or a 400 that says what the request should have been and which field was not. */
function checked<T>(r: Checked<T>, summary: string): T {
  if (!r.ok) throw invalid(`${summary}; ${describeProblem(r.problem)}`);
  return r.value;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A JSON request body as an object; anything else (no body, an array, a number) is refused. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalid('expected a JSON object body');
  return body;
}

const checkSigned = wireCheck(SignedRequest);
const checkEnrol = wireCheck(EnrolRequest);
const checkApplied = wireCheck(ConfigAppliedRequest);
const checkRestored = wireCheck(RestoredRequest);
const checkHeaders = wireCheck(BatchHeaders);
const checkLine = wireCheck(BatchLine);

/** The fields every signed request carries (`/v1/state`, `/v1/config`). */
export function signedFields(body: unknown): SignedRequest {
  return checked(
    checkSigned(bodyObject(body)),
    'expected {applianceId, nonce, signature} (strings of at most 200 characters)',
  );
}

export function enrolRequest(body: unknown): EnrolRequest {
  return checked(checkEnrol(bodyObject(body)), 'expected {token, applianceId, publicKey (PEM)}');
}

export function configAppliedRequest(body: unknown): ConfigAppliedRequest {
  return checked(checkApplied(bodyObject(body)), 'expected {version, result} beside {applianceId, nonce, signature}');
}

export function restoredRequest(body: unknown): RestoredRequest {
  return checked(checkRestored(bodyObject(body)), 'expected {backupCreatedAt} beside {applianceId, nonce, signature}');
}

/** A batch's headers: its appliance, a UUID, the stream and 1 <= first <= last. */
export function batchHeaders(get: (name: string) => string | undefined): BatchHeaders & { signature: string } {
  const hdr = (name: string): string => {
    const v = get(name);
    if (!v) throw invalid(`missing header ${name}`);
    return v;
  };
  const raw = {
    appliance: hdr(H.appliance),
    batch: hdr(H.batch),
    stream: hdr(H.stream),
    first: Number(hdr(H.first)),
    last: Number(hdr(H.last)),
    signature: hdr(H.signature),
  };
  const summary = 'batch id must be a UUID and 1 <= first <= last';
  const h = checked(checkHeaders(raw), summary);
  if (h.last < h.first) throw invalid(`${summary}; /last: expected at least first (${h.first}), got ${h.last}`);
  return {
    appliance: h.appliance,
    batch: h.batch,
    stream: h.stream,
    first: h.first,
    last: h.last,
    signature: raw.signature,
  };
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
    docs = text
      .split('\n')
      .filter(Boolean)
      .map((l): unknown => JSON.parse(l));
  } catch (err) {
    throw invalid(`body is not gzip NDJSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const expected = `lines must be seq ${h.first}..${h.last} without gaps, each with a real day (YYYY-MM-DD)`;
  if (docs.length !== h.last - h.first + 1) throw invalid(`${expected}; got ${docs.length} lines`);
  return docs.map((d, i) => {
    const r = checkLine(d);
    if (!r.ok) throw invalid(`${expected}; line ${i + 1} is not: ${describeProblem(r.problem)}`);
    const l = r.value;
    if (l.seq !== h.first + i)
      throw invalid(`${expected}; line ${i + 1} is not: /seq: expected ${h.first + i}, got ${l.seq}`);
    if (!validDay(l.day))
      throw invalid(
        `${expected}; line ${i + 1} is not: /day: expected a real day (YYYY-MM-DD), got ${JSON.stringify(l.day)}`,
      );
    return l;
  });
}
