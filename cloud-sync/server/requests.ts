import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  BatchHeaders,
  QuarantinedLine,
  RecordLine,
  ConfigAppliedRequest,
  EnrolRequest,
  HeartbeatRequest,
  H,
  RestoredRequest,
  SignedRequest,
  describeProblem,
  nulPath,
  wireCheck,
  type BatchLine,
  type Checked,
  type ErrorAnswer,
  type RefusedRecord,
} from '../protocol.js';

/** A request the district refuses: the HTTP status, a stable code and what was wrong. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Pick<ErrorAnswer, 'committedSeq' | 'refused'> = {},
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
const checkHeartbeat = wireCheck(HeartbeatRequest);
const checkHeaders = wireCheck(BatchHeaders);
const checkRecord = wireCheck(RecordLine);
const checkQuarantined = wireCheck(QuarantinedLine);

/** A request's fields go into text and jsonb columns, which cannot hold the NUL character: refused by field. */
function withoutNul<T>(b: T): T {
  const nul = nulPath(b);
  if (nul !== undefined) throw invalid(`${nul}: expected text without the NUL character (\\u0000)`);
  return b;
}

/** The fields every signed request carries (`/v1/state`, `/v1/config`). */
export function signedFields(body: unknown): SignedRequest {
  return withoutNul(
    checked(
      checkSigned(bodyObject(body)),
      'expected {applianceId, nonce, signature} (strings of at most 200 characters)',
    ),
  );
}

export function enrolRequest(body: unknown): EnrolRequest {
  return withoutNul(checked(checkEnrol(bodyObject(body)), 'expected {token, applianceId, publicKey (PEM)}'));
}

export function configAppliedRequest(body: unknown): ConfigAppliedRequest {
  return withoutNul(
    checked(checkApplied(bodyObject(body)), 'expected {version, result} beside {applianceId, nonce, signature}'),
  );
}

export function restoredRequest(body: unknown): RestoredRequest {
  return withoutNul(
    checked(checkRestored(bodyObject(body)), 'expected {backupCreatedAt} beside {applianceId, nonce, signature}'),
  );
}

export function heartbeatRequest(body: unknown): HeartbeatRequest {
  const b = checked(
    checkHeartbeat(bodyObject(body)),
    'expected {status: {sentAt, version, uptimeS, components, disk, flash, streams, configVersion}} beside {applianceId, nonce, signature}',
  );
  return withoutNul(b);
}

/** A batch's headers: its appliance, a UUID, the stream, 1 <= first <= last, the body's hash and the signature. */
export function batchHeaders(
  get: (name: string) => string | undefined,
): BatchHeaders & { signature: string; bodySha256: string } {
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
    bodySha256: hdr(H.bodySha256),
  };
  if (!/^[0-9a-f]{64}$/.test(raw.bodySha256))
    throw invalid(
      `header ${H.bodySha256}: expected 64 hex digits (the SHA-256 of the body), got ${raw.bodySha256.slice(0, 80)}`,
    );
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
    bodySha256: raw.bodySha256,
  };
}

/** What one batch may cost the receiver before it is refused. */
export interface BatchLimits {
  /** The compressed body (`Content-Length`), checked before it is read. */
  maxBodyBytes: number;
  /** The body once inflated, counted while it inflates. */
  maxInflatedBytes: number;
  /** One NDJSON line: a record longer than this is refused while it inflates. */
  maxLineBytes: number;
  /** Lines in one batch (`last - first + 1`), checked on the headers. */
  maxRecords: number;
}

/** Which record days the receiver accepts: from `from` to `to` (YYYY-MM-DD, both included). */
export interface DayWindow {
  from: string;
  to: string;
  /** The window in words, for a refusal. */
  text: string;
}

/** The days from `back` days before `now`'s UTC day to `ahead` days after it. */
export function dayWindow(now: number, back: number, ahead: number): DayWindow {
  const day = (offset: number): string => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
  const from = day(-back);
  const to = day(ahead);
  return {
    from,
    to,
    text: `a real day from ${from} to ${to} (${back} days back, ${ahead} ahead of the district's clock)`,
  };
}

/**
 * A batch's body, `Content-Length` bytes (already checked against the cap), read and hashed; it
 * must be the body the signature covers (`bodyHash`) before any of it is inflated.
 */
export async function readBody(req: AsyncIterable<Buffer>, length: number, bodyHash: string): Promise<Buffer> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const c of req) {
      got += c.length;
      if (got > length) throw invalid(`body longer than its Content-Length (${length})`);
      hash.update(c);
      chunks.push(c);
    }
  } catch (err) {
    // A client that hangs up half-way is its own failure, not the receiver's (no 500 logged for it).
    if (err instanceof Refusal) throw err;
    throw invalid(`body cut short after ${got} of ${length} bytes`);
  }
  if (got === 0) throw invalid('empty body');
  if (hash.digest('hex') !== bodyHash)
    throw new Refusal(401, 'bad_signature', 'batch body does not match its signed hash (tampered in transit)');
  return Buffer.concat(chunks, got);
}

const tooLarge = (message: string): Refusal => new Refusal(413, 'too_large', message);

/**
 * Records named in one refusal at most: the answer stays small (the agent reads 1 MiB at most); the
 * appliance quarantines these, sends again, and hears of the next ones.
 */
export const MAX_REFUSED_LISTED = 1000;

/**
 * A batch's body: gzip NDJSON of `{seq, day, payload}` (or `{seq, quarantined}`) lines numbered
 * `first..last` without gaps. Inflated as a stream (on zlib's thread pool, not the event loop),
 * counted as it comes: past `maxInflatedBytes`, or a line past `maxLineBytes`, or more lines than
 * the headers said, it stops there; a gzip bomb costs a few chunks of memory, not its size.
 *
 * A record whose day is not real or outside `window`, or which is not a record at all, is refused by
 * its number (422 `record_refused` listing every such record), so the appliance can quarantine it
 * and the stream goes on; a batch whose numbering is wrong is refused whole (400).
 */
export async function batchLines(
  body: Buffer,
  h: BatchHeaders,
  limits: BatchLimits,
  window: DayWindow,
): Promise<BatchLine[]> {
  const expected = `lines must be seq ${h.first}..${h.last} without gaps`;
  const count = h.last - h.first + 1;
  const lines: BatchLine[] = [];
  const refused: RefusedRecord[] = [];
  const take = (text: string): void => {
    const i = lines.length + refused.length;
    const seq = h.first + i;
    if (i >= count) throw invalid(`${expected}; got more than ${count} lines`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      refused.push({ seq, reason: `line ${i + 1}: not JSON (${err instanceof Error ? err.message : String(err)})` });
      return;
    }
    const lineSeq = (doc as { seq?: unknown } | null)?.seq;
    if (lineSeq !== seq)
      throw invalid(
        `${expected}; line ${i + 1} is not: /seq: expected ${seq}, got ${JSON.stringify(lineSeq)?.slice(0, 40)}`,
      );
    // Only a line naming `quarantined` can be one: a failed check computes its error, which costs
    // more than the line itself, and almost every line is a record.
    if (Object.hasOwn(doc as object, 'quarantined')) {
      const q = checkQuarantined(doc);
      if (q.ok) return void lines.push(q.value);
    }
    const r = checkRecord(doc);
    const refuseDay = (day: unknown): void =>
      void refused.push({ seq, reason: `/day: expected ${window.text}, got ${JSON.stringify(day)?.slice(0, 40)}` });
    if (!r.ok)
      return r.problem.path === '/day'
        ? refuseDay((doc as { day?: unknown }).day)
        : void refused.push({ seq, reason: `line ${i + 1}: ${describeProblem(r.problem)}` });
    if (!dayOk(r.value.day)) return refuseDay(r.value.day);
    // The escape is in the line's text whenever a NUL is in its strings; only then is the record walked.
    const nul = text.includes('\\u0000') ? nulPath(r.value.payload, '/payload') : undefined;
    if (nul !== undefined)
      return void refused.push({
        seq,
        reason: `line ${i + 1}: ${nul}: expected text without the NUL character (\\u0000), which the district cannot store`,
      });
    lines.push(r.value);
  };
  // A batch holds a few days at most: each is checked once (a real day, inside the window), not once a line.
  const days = new Map<string, boolean>();
  const dayOk = (day: string): boolean => {
    let ok = days.get(day);
    if (ok === undefined) {
      ok = validDay(day) && day >= window.from && day <= window.to;
      if (days.size < 1000) days.set(day, ok);
    }
    return ok;
  };
  // Lines are cut on the bytes (a newline byte is never inside a UTF-8 sequence), and empty ones
  // skipped without making a string: a bomb of newlines makes no garbage for the collector to lag behind.
  const line = (bytes: Buffer): void => {
    const text = bytes.toString('utf8');
    if (text.trim() !== '') take(text);
  };
  let inflated = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    await pipeline(Readable.from([body]), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        inflated += chunk.length;
        if (inflated > limits.maxInflatedBytes)
          throw tooLarge(`batch inflates to more than ${limits.maxInflatedBytes} bytes`);
        let at = 0;
        for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, at)) {
          if (pendingBytes > 0) line(Buffer.concat([...pending, chunk.subarray(at, nl)]));
          else if (nl > at) line(chunk.subarray(at, nl));
          pending = [];
          pendingBytes = 0;
          at = nl + 1;
        }
        if (at < chunk.length) {
          pending.push(chunk.subarray(at));
          pendingBytes += chunk.length - at;
          if (pendingBytes > limits.maxLineBytes) throw tooLarge(`a line longer than ${limits.maxLineBytes} bytes`);
        }
      }
      if (pendingBytes > 0) line(Buffer.concat(pending));
    });
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw invalid(`body is not gzip NDJSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (lines.length + refused.length !== count) throw invalid(`${expected}; got ${lines.length + refused.length} lines`);
  if (refused.length > 0)
    throw new Refusal(
      422,
      'record_refused',
      `${refused.length} record(s) refused, the first: seq ${refused[0]?.seq}: ${refused[0]?.reason}`,
      { refused: refused.slice(0, MAX_REFUSED_LISTED) },
    );
  return lines;
}
