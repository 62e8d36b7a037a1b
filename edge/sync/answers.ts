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
import {
  ANSWER_KEY,
  ANSWER_SIGNATURE,
  AnswerKeyCertificate,
  KEY_ROTATIONS,
  KeyRotation,
  answerKeyCertified,
  keyFingerprint,
  rotationProblem,
  verifyAnswerSignature,
} from '../../cloud-sync/answer-signing.js';

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

// ---- Signed answers ------------------------------------------------------------------------------

const checkRotations = wireCheck(
  Type.Array(KeyRotation, { maxItems: 100, expected: 'a list of key rotations (at most 100)' }),
);

/** The rotation messages an answer carries (`keyRotations`, oldest first); none when it carries none. */
export function keyRotations(json: Record<string, unknown>): KeyRotation[] {
  if (!Object.hasOwn(json, KEY_ROTATIONS)) return [];
  return checked(checkRotations(json[KEY_ROTATIONS]), `/${KEY_ROTATIONS}`);
}

/**
 * Follow the rotations that start at the pinned key: each is accepted only when the key pinned so
 * far verifies it (see `rotationProblem`); links before the pinned key (already followed) are
 * passed over. Returns the key to pin and the rotations accepted; throws a ProtocolError naming
 * what did not verify, and then nothing is pinned.
 */
export function followRotations(
  pinnedPem: string,
  rotations: readonly KeyRotation[],
  now: number,
): { pinnedPem: string; accepted: KeyRotation[] } {
  let pinned = pinnedPem;
  const accepted: KeyRotation[] = [];
  for (const r of rotations) {
    if (r.previousKey !== keyFingerprint(pinned)) continue;
    const problem = rotationProblem(r, pinned, now);
    if (problem) throw new ProtocolError(`district answer ${problem}; the pinned key is kept`);
    pinned = r.newPublicKey;
    accepted.push(r);
  }
  // A chain that names the pinned key nowhere but ends at another key is not a rotation this appliance can check.
  return { pinnedPem: pinned, accepted };
}

const checkCertificate = wireCheck(AnswerKeyCertificate);

/**
 * The answer, when it is signed for this request (`requestText`, what the appliance signed), this
 * appliance and this status by an answer key that the district key pinned at enrolment certified;
 * otherwise a ProtocolError that says what did not verify. Nothing of an answer that is refused
 * here may change the appliance's state.
 */
export function verifiedAnswer(
  what: string,
  r: { status: number; json: Record<string, unknown> },
  binding: { applianceId: string; requestText: string; districtPublicKeyPem: string },
): Record<string, unknown> {
  const unsigned = (missing: string): ProtocolError =>
    new ProtocolError(`${what}: not signed by the district (${missing} missing); nothing in it is applied`);
  if (typeof r.json[ANSWER_SIGNATURE] !== 'string') throw unsigned(ANSWER_SIGNATURE);
  if (!Object.hasOwn(r.json, ANSWER_KEY)) throw unsigned(ANSWER_KEY);
  const cert = checkCertificate(r.json[ANSWER_KEY]);
  if (!cert.ok)
    throw new ProtocolError(
      `${what}: ${describeProblem({ ...cert.problem, path: `/${ANSWER_KEY}${cert.problem.path}` })}; nothing in it is applied`,
    );
  if (!answerKeyCertified(cert.value, binding.districtPublicKeyPem))
    throw new ProtocolError(
      `${what}: ${ANSWER_KEY} is not certified by the pinned district key (another district, or a forgery); nothing in it is applied`,
    );
  if (!verifyAnswerSignature(binding.applianceId, binding.requestText, r.status, r.json, cert.value.publicKey))
    throw new ProtocolError(
      `${what}: ${ANSWER_SIGNATURE} does not verify for this request (forged, altered on the way, or the answer to another request); nothing in it is applied`,
    );
  return r.json;
}
