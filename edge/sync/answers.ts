import { Type } from '@sinclair/typebox';
import { ProtocolError } from '../errors.js';
import {
  BatchAnswer,
  ConfigAnswer,
  EnrolAnswer,
  Seq,
  Settings,
  describeProblem,
  wireCheck,
  type Checked,
} from '../../cloud-sync/protocol.js';

/**
 * What the district answers, checked against the protocol's schemas before the appliance acts on
 * it: a position confirms and deletes outbox rows, so a position that is not a whole number (a
 * string compares above every integer in SQLite) would delete records the district never received.
 * A refused answer is a ProtocolError naming the field and what was expected.
 */

function checked<T>(r: Checked<T>, prefix = ''): T {
  if (!r.ok)
    throw new ProtocolError(`district answer ${describeProblem({ ...r.problem, path: `${prefix}${r.problem.path}` })}`);
  return r.value;
}

/**
 * The envelope of `StreamsAnswer`: positions are read only for the streams this appliance sends (a newer district may
 * report more).
 */
const checkStreams = wireCheck(
  Type.Object({ streams: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { expected: 'an object' })) }),
);
const checkSeq = wireCheck(Seq);
const checkBatch = wireCheck(BatchAnswer);
const checkConfig = wireCheck(ConfigAnswer);
const checkSettings = wireCheck(Settings);
const checkEnrol = wireCheck(EnrolAnswer);

/** `{streams: {<stream>: <committed seq>}}`, keeping only the streams this appliance sends. */
export function streamPositions(json: Record<string, unknown>, known: readonly string[]): Map<string, number> {
  const streams = checked(checkStreams(json)).streams ?? {};
  const out = new Map<string, number>();
  for (const stream of known) {
    if (Object.hasOwn(streams, stream)) out.set(stream, checked(checkSeq(streams[stream]), `/streams/${stream}`));
  }
  return out;
}

/** `{committedSeq}` of a batch answer; undefined when the answer carries none. */
export function committedSeq(json: Record<string, unknown>): number | undefined {
  return checked(checkBatch(json)).committedSeq;
}

/** A configuration answer: the version (0: none published, and then no settings), its settings and signature. */
export interface DesiredConfig {
  version: number;
  config: Record<string, unknown>;
  signature: string;
}

/** `{version, config?, signature?}` of a configuration answer; version 0 means none published. */
export function configAnswer(json: Record<string, unknown>): DesiredConfig {
  const a = checked(checkConfig(json));
  const version = a.version ?? 0;
  const signature = a.signature ?? '';
  if (version === 0) return { version, config: {}, signature };
  return { version, config: checked(checkSettings(a.config), '/config'), signature };
}

/** The enrolment answer's `districtPublicKey`; a refusal names what is missing. */
export function enrolAnswer(json: Record<string, unknown>): EnrolAnswer {
  return checked(checkEnrol(json));
}
