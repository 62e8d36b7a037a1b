import { ProtocolError } from '../../edge/errors.js';

/**
 * What the district answers, checked before the appliance acts on it: a position confirms and
 * deletes outbox rows, so a position that is not a whole number (a string compares above every
 * integer in SQLite) would delete records the district never received.
 */

const seqOf = (v: unknown, field: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ProtocolError(`district answer ${field}: expected a whole number >= 0, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
};

/** `{streams: {<stream>: <committed seq>}}`, keeping only the streams this appliance sends. */
export function streamPositions(json: Record<string, unknown>, known: readonly string[]): Map<string, number> {
  const streams = json.streams ?? {};
  if (streams === null || typeof streams !== 'object' || Array.isArray(streams)) throw new ProtocolError(`district answer /streams: expected an object, got ${JSON.stringify(streams).slice(0, 40)}`);
  const out = new Map<string, number>();
  for (const stream of known) {
    if (Object.hasOwn(streams, stream)) out.set(stream, seqOf((streams as Record<string, unknown>)[stream], `/streams/${stream}`));
  }
  return out;
}

/** `{committedSeq}` of a batch answer; undefined when the answer carries none. */
export function committedSeq(json: Record<string, unknown>): number | undefined {
  return json.committedSeq === undefined ? undefined : seqOf(json.committedSeq, '/committedSeq');
}

/** `{version, config?, signature?}` of a configuration answer; version 0 means none published. */
export function configAnswer(json: Record<string, unknown>): { version: number; config: unknown; signature: string } {
  const version = seqOf(json.version ?? 0, '/version');
  const signature = json.signature ?? '';
  if (typeof signature !== 'string') throw new ProtocolError(`district answer /signature: expected a string, got ${JSON.stringify(signature).slice(0, 40)}`);
  if (version > 0 && (json.config === null || typeof json.config !== 'object' || Array.isArray(json.config))) throw new ProtocolError('district answer /config: expected an object of settings');
  return { version, config: json.config, signature };
}
