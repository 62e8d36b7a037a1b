import { Ajv } from 'ajv';
import { ReadingPayload } from '../messages.js';
import type { ReadingRow } from '../store/repos/readings.js';
import { metricsToRows } from '../ingest/metrics-to-rows.js';
import { looksLikeJpeg } from '../analysis/jpeg-stream.js';
import { DEFAULT_MAX_SKEW_MS, timestampProblem } from '../ingest/timestamps.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; field?: string };

const ajv = new Ajv({ allErrors: false, strict: false });
const validateReading = ajv.compile<ReadingPayload>(ReadingPayload);

/**
 * Turn one `reading` payload into rows. Everything a device sends is checked here: size, JSON,
 * shape, metric names, units' plausible ranges, timestamps. Nothing unchecked reaches the store.
 */
export function decodeReading(
  deviceId: string,
  payload: Buffer,
  maxBytes: number,
  now: number,
  maxSkewMs = DEFAULT_MAX_SKEW_MS,
): Decoded<ReadingRow[]> {
  if (payload.length > maxBytes) return { ok: false, reason: `payload of ${payload.length} bytes exceeds ${maxBytes}` };
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `payload is not JSON (${(err as Error).message})` };
  }
  if (!validateReading(doc)) {
    const e = validateReading.errors?.[0];
    const rawTs = (doc as { ts?: unknown } | null)?.ts;
    // A whole number outside the schema's bounds gets the range in words, not the schema's "must be >=".
    const tsProblem =
      e?.instancePath === '/ts' && typeof rawTs === 'number'
        ? timestampProblem('/ts', rawTs, now, maxSkewMs)
        : undefined;
    if (tsProblem) return { ok: false, field: '/ts', reason: tsProblem };
    const field = e
      ? e.keyword === 'required'
        ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
        : e.instancePath || '/'
      : '/';
    const extra =
      e?.keyword === 'additionalProperties'
        ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : '';
    return { ok: false, field, reason: `${field}: ${e?.message ?? 'invalid'}${extra}` };
  }
  let ts = now;
  if (doc.ts !== undefined) {
    ts = typeof doc.ts === 'number' ? doc.ts : Date.parse(doc.ts);
    if (!Number.isFinite(ts))
      return {
        ok: false,
        field: '/ts',
        reason: `/ts: expected ms since epoch or ISO 8601, got ${JSON.stringify(doc.ts)}`,
      };
  }
  // Arrival time too: an appliance whose clock was never set stamps 1970, and the district refuses that day.
  const problem = timestampProblem('/ts', ts, now, maxSkewMs);
  if (problem) return { ok: false, field: '/ts', reason: problem };
  const { rows, rejected } = metricsToRows(deviceId, doc.metrics, ts, now, maxSkewMs);
  const bad = rejected[0];
  // A device message is all or nothing: one implausible value makes the whole message suspect.
  if (bad)
    return {
      ok: false,
      field: `/metrics/${bad.metric}`,
      reason: `/metrics/${bad.metric}: expected ${bad.expected}, got ${JSON.stringify(bad.value)}`,
    };
  return { ok: true, value: rows };
}

/** Largest `card` payload: `{"card": "<32 hex digits>"}` with room for spaces. */
const MAX_CARD_BYTES = 256;

/** A `card` payload: `{"card": "<4-32 hex digits>"}`, returned upper-case. */
export function decodeCard(payload: Buffer): Decoded<string> {
  const refused = { ok: false, field: '/card', reason: '/card: expected {"card": "<4-32 hex digits>"}' } as const;
  if (payload.length > MAX_CARD_BYTES) return refused;
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return refused;
  }
  const card =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { card?: unknown }).card : undefined;
  if (typeof card !== 'string' || !/^[0-9A-Fa-f]{4,32}$/.test(card)) return refused;
  return { ok: true, value: card.toUpperCase() };
}

/** A `status` payload: exactly `online` or `offline`. */
export function decodeStatus(payload: Buffer): Decoded<'online' | 'offline'> {
  const text = payload.subarray(0, 16).toString('utf8');
  if (payload.length <= 7 && (text === 'online' || text === 'offline')) return { ok: true, value: text };
  return {
    ok: false,
    field: '/',
    reason: `status must be "online" or "offline", got ${JSON.stringify(text.slice(0, 40))}${payload.length > 16 ? ` (${payload.length} bytes)` : ''}`,
  };
}

/**
 * A `snapshot` payload: one whole JPEG of at most `maxBytes` (analysis.maxSnapshotBytes) whose
 * header declares at most `maxPixels` (analysis.vision.maxFramePixels).
 */
export function decodeSnapshot(payload: Buffer, maxBytes: number, maxPixels?: number): Decoded<Buffer> {
  if (payload.length > maxBytes)
    return {
      ok: false,
      field: '/',
      reason: `snapshot: ${payload.length} bytes, at most ${maxBytes} (analysis.maxSnapshotBytes)`,
    };
  const bad = looksLikeJpeg(payload, maxPixels);
  if (bad) return { ok: false, field: '/', reason: `snapshot: ${bad}` };
  return { ok: true, value: payload };
}
