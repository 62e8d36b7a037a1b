import { createHash, type KeyObject } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canonicalJson, signText, verifyText } from '../edge/security/signing.js';

/**
 * The appliance-district wire protocol, shared by both sides: every message that crosses the wire
 * is a TypeBox schema here, checked on arrival (requests by the receiver, answers by the agent), so
 * neither end casts what it received. A batch is gzip-compressed NDJSON of `{seq, day, payload}`
 * lines of one stream, numbered without gaps; it is signed with the appliance's Ed25519 key over
 * the headers and the SHA-256 of the compressed body. The district answers with the highest
 * sequence it has committed for that stream.
 *
 * A schema's `expected` option is the wording a refusal uses for it ("expected <that>, got ...").
 */
export const H = {
  appliance: 'x-classedge-appliance',
  batch: 'x-classedge-batch',
  stream: 'x-classedge-stream',
  first: 'x-classedge-first',
  last: 'x-classedge-last',
  signature: 'x-classedge-signature',
  /**
   * The SHA-256 (hex) of the compressed body, signed with the headers: the receiver checks the
   * signature before it reads the body, then the body against it.
   */
  bodySha256: 'x-classedge-body-sha256',
} as const;

// ---- Values -------------------------------------------------------------------------------------

/**
 * A stream position. A position that is not a whole number (a string compares above every integer in SQLite) would
 * delete records the district never received.
 */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, expected: 'a whole number >= 0' });
const LineSeq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, expected: 'a whole number >= 1' });
/** YYYY-MM-DD; that it is a real calendar day is checked beside the schema (`validDay`). */
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', expected: 'a real day (YYYY-MM-DD)' });
const Short = Type.String({ minLength: 1, maxLength: 200, expected: 'a string of 1-200 characters' });
const Text = Type.String({ expected: 'a string' });
const PublicKeyPem = Type.String({ pattern: 'BEGIN PUBLIC KEY', expected: 'a public key (PEM)' });
/** Desired configuration: partial settings, checked by the appliance's configuration schema when applied. */
export const Settings = Type.Record(Type.String(), Type.Unknown(), { expected: 'an object of settings' });
const object = <P extends Record<string, TSchema>>(properties: P) =>
  Type.Object(properties, { expected: 'a JSON object' });

// ---- Enrolment: POST /v1/enrol (the one-time token proves the appliance; nothing is signed yet) --

export const EnrolRequest = object({ token: Text, applianceId: Text, publicKey: PublicKeyPem });
export type EnrolRequest = Static<typeof EnrolRequest>;
/** 201: the district's public key, which later verifies the configuration and updates it signs. */
export const EnrolAnswer = object({
  applianceId: Text,
  districtPublicKey: Type.String({ minLength: 1, expected: "the district's public key (PEM)" }),
});
export type EnrolAnswer = Static<typeof EnrolAnswer>;

// ---- Signed requests: POST /v1/state, /v1/config, /v1/config/applied, /v1/restored ---------------

/** What each kind of signed request signs, so that one kind cannot stand in for another. */
export const REQUEST_KINDS = {
  state: 'classedge-state-v1',
  config: 'classedge-config-request-v1',
  applied: 'classedge-config-applied-v1',
  restored: 'classedge-restored-v1',
  heartbeat: 'classedge-heartbeat-v1',
  bundle: 'classedge-bundle-get-v1',
} as const;

/** The text a signed request's signature covers: its kind, the appliance, a nonce and the request's own fields. */
export function requestSigningString(kind: string, applianceId: string, nonce: string, extra = ''): string {
  return `${kind}\n${applianceId}\n${nonce}${extra}`;
}

const signedFields = { applianceId: Short, nonce: Short, signature: Short };
/** `/v1/state` and `/v1/config`: the fields every signed request carries, nothing else. */
export const SignedRequest = object(signedFields);
export type SignedRequest = Static<typeof SignedRequest>;
/** `/v1/config/applied`: the outcome of a published version (signed over `\n<version>\n<result>`). */
export const ConfigAppliedRequest = object({
  ...signedFields,
  version: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, expected: 'a whole version number' }),
  result: Text,
});
export type ConfigAppliedRequest = Static<typeof ConfigAppliedRequest>;
/** `/v1/restored`: a box restored from a backup (signed over `\n<backupCreatedAt>`). */
export const RestoredRequest = object({
  ...signedFields,
  backupCreatedAt: Type.String({ maxLength: 40, expected: 'a time of at most 40 characters' }),
});
export type RestoredRequest = Static<typeof RestoredRequest>;

/**
 * `/v1/state` and `/v1/restored` answer where each stream stands. The agent reads only the streams
 * it sends (a newer district may report more), so it checks the object and then each of its own
 * streams' positions against `Seq`.
 */
export const StreamsAnswer = object({
  streams: Type.Record(Type.String(), Seq, { expected: 'an object of positions' }),
});
export type StreamsAnswer = Static<typeof StreamsAnswer>;
/** `/v1/config`: the desired configuration; version 0 means none published, and then nothing else is sent. */
export const ConfigAnswer = object({
  version: Type.Optional(Seq),
  config: Type.Optional(Settings),
  signature: Type.Optional(Text),
});
export type ConfigAnswer = Static<typeof ConfigAnswer>;
export const AppliedAnswer = object({ ok: Type.Literal(true) });
export type AppliedAnswer = Static<typeof AppliedAnswer>;

// ---- Heartbeat: POST /v1/heartbeat (signed over `\n<sha256 of the status's canonical JSON>`) --------

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, expected: 'a whole number >= 0' });
const Amount = Type.Number({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, expected: 'a number >= 0' });
const Place = Type.String({ maxLength: 200, expected: 'a string of at most 200 characters' });
/** One component of the appliance as its registry reports it (docs/architecture.md). */
export const HeartbeatComponent = object({
  name: Short,
  kind: Short,
  state: Type.String({ minLength: 1, maxLength: 40, expected: 'a component state' }),
  detail: Type.Optional(Type.String({ maxLength: 300, expected: 'a string of at most 300 characters' })),
});
export type HeartbeatComponent = Static<typeof HeartbeatComponent>;
/** How far the district is behind on one stream, as the appliance sees it. */
export const HeartbeatStream = object({ backlog: Count, lagS: Amount, quarantined: Count });
export type HeartbeatStream = Static<typeof HeartbeatStream>;
// ---- Fleet updates (docs/fleet-updates.md) --------------------------------------------------------

const RolloutId = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, expected: 'a rollout id (a whole number >= 1)' });
/** A bundle's SHA-256 in lower-case hex: its name at the district (`GET /v1/bundles/<sha256>`). */
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$', expected: 'a SHA-256 in lower-case hex' });
/** What a fleet update came to on the appliance; the last three are final. */
export const FLEET_UPDATE_STATES = ['downloading', 'installing', 'installed', 'rolled-back', 'failed'] as const;
export const FINAL_UPDATE_STATES: readonly FleetUpdateState[] = ['installed', 'rolled-back', 'failed'];
export type FleetUpdateState = (typeof FLEET_UPDATE_STATES)[number];
/** A local time of day, HH:MM. */
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', expected: 'a time HH:MM' });
/**
 * The maintenance window of a rollout, in the appliance's own time zone (`appliance.timezone`):
 * installs start only inside it, and never during a lesson. `from` after `to` spans midnight.
 */
export const UpdateWindow = object({ from: HHMM, to: HHMM });
export type UpdateWindow = Static<typeof UpdateWindow>;
/** The appliance's report of the last fleet update it was offered (heartbeat status `update`). */
export const FleetUpdateReport = object({
  rolloutId: RolloutId,
  sha256: Sha256Hex,
  state: Type.Union(
    FLEET_UPDATE_STATES.map((s) => Type.Literal(s)),
    { expected: `one of ${FLEET_UPDATE_STATES.join(', ')}` },
  ),
  /** The version the appliance runs after it (installed), or went back to (rolled-back). */
  version: Type.Optional(Short),
  detail: Type.Optional(Type.String({ maxLength: 300, expected: 'a string of at most 300 characters' })),
});
export type FleetUpdateReport = Static<typeof FleetUpdateReport>;
/** A rollout's offer in a heartbeat answer: what to download, from where, and when it may be installed. */
export const UpdateOffer = object({
  rolloutId: RolloutId,
  sha256: Sha256Hex,
  size: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, expected: 'a size in bytes' }),
  version: Short,
  /** The path to GET, relative to the district URL: `/v1/bundles/<sha256>`. */
  path: Type.String({ pattern: '^/v1/bundles/[0-9a-f]{64}$', expected: 'a path /v1/bundles/<sha256>' }),
  /** Absent: any time outside lessons. */
  window: Type.Optional(UpdateWindow),
});
export type UpdateOffer = Static<typeof UpdateOffer>;

/**
 * `GET /v1/bundles/<sha256>` is signed in headers (there is no body): the appliance, a nonce and the
 * signature over the kind, the appliance, the nonce, the bundle and the Range header asked for.
 */
export const BUNDLE_HEADERS = {
  appliance: 'x-classedge-appliance',
  nonce: 'x-classedge-nonce',
  signature: 'x-classedge-signature',
} as const;
export const bundleSigningExtra = (sha256: string, range: string): string => `\n${sha256}\n${range}`;

/**
 * The appliance's small status, every `sync.heartbeatSeconds`: what a district IT technician needs
 * to see without logging in to the box. Aggregates of the box only: nothing about a student or a
 * teacher.
 */
export const HeartbeatStatus = object({
  /** The appliance's clock when it sent this (ms): the district notes how far it is from its own. */
  sentAt: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999, expected: 'a time in ms before the year 10000' }),
  version: Short,
  uptimeS: Count,
  components: Type.Array(HeartbeatComponent, { maxItems: 200, expected: 'a list of at most 200 components' }),
  disk: object({ freeBytes: Count, totalBytes: Count }),
  /**
   * Bytes the appliance made the flash write per day since the last heartbeat (the kernel's count
   * for this process), and the eMMC's own estimate of the life it has used, in its 10 % steps,
   * where the card reports one.
   */
  flash: object({
    writtenBytesPerDay: Type.Optional(Amount),
    lifeUsedPercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 110, expected: 'a percentage 0-110' })),
  }),
  streams: Type.Record(Type.String({ maxLength: 60 }), HeartbeatStream, {
    maxProperties: 50,
    expected: 'an object of at most 50 streams',
  }),
  /** The district configuration version applied last (0: none). */
  configVersion: Count,
  /**
   * Where the box says it is (appliance.name and appliance.classroom): shown beside the school the
   * district enrolled it for, which alone decides who may see it.
   */
  place: Type.Optional(
    object({
      name: Type.Optional(Place),
      school: Type.Optional(Place),
      grade: Type.Optional(Place),
      class: Type.Optional(Place),
      room: Type.Optional(Place),
    }),
  ),
  /** Where the last fleet update (a rollout's offer) stands on this appliance (docs/fleet-updates.md). */
  update: Type.Optional(FleetUpdateReport),
});
export type HeartbeatStatus = Static<typeof HeartbeatStatus>;
export const HeartbeatRequest = object({ ...signedFields, status: HeartbeatStatus });
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;
/** What a heartbeat's signature covers beside the kind, appliance and nonce. */
export const heartbeatSigningExtra = (status: HeartbeatStatus): string =>
  `\n${createHash('sha256').update(canonicalJson(status)).digest('hex')}`;
/** 200: noted; `nextInS` asks for the next heartbeat sooner or later than the appliance's setting. */
export const HeartbeatAnswer = object({
  ok: Type.Literal(true),
  nextInS: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400, expected: 'seconds, 10-86400' })),
  /** A rollout whose ring holds this appliance and that has no final outcome from it. */
  offer: Type.Optional(UpdateOffer),
});
export type HeartbeatAnswer = Static<typeof HeartbeatAnswer>;

/** What a desired-configuration signature covers: the appliance, the version and the settings. */
export function configSigningString(applianceId: string, version: number, config: unknown): string {
  return [
    'classedge-config-v1',
    applianceId,
    String(version),
    createHash('sha256').update(canonicalJson(config)).digest('hex'),
  ].join('\n');
}

// ---- Batches: POST /v1/batches (headers H, a gzip NDJSON body) ---------------------------------

/** A batch's headers, `first` and `last` read as numbers. */
export const BatchHeaders = object({
  appliance: Type.String({ minLength: 1, expected: 'an appliance id' }),
  batch: Type.String({ pattern: '^[0-9a-f-]{36}$', expected: 'a UUID' }),
  stream: Type.String({ minLength: 1, expected: 'a stream name' }),
  first: LineSeq,
  last: LineSeq,
});
export type BatchHeaders = Static<typeof BatchHeaders>;
/** One NDJSON line of a batch: a record. */
export const RecordLine = object({ seq: LineSeq, day: Day, payload: Type.Unknown({ expected: 'a payload' }) });
export type RecordLine = Static<typeof RecordLine>;
/**
 * A record the district refused earlier, kept in the appliance's quarantine: its number is sent
 * (with why) so the stream stays without gaps, and nothing is stored for it.
 */
export const QuarantinedLine = object({
  seq: LineSeq,
  quarantined: Type.String({ minLength: 1, maxLength: 500, expected: 'the reason (1-500 characters)' }),
});
export type QuarantinedLine = Static<typeof QuarantinedLine>;
export const BatchLine = Type.Union([RecordLine, QuarantinedLine], {
  expected: 'a line {seq, day, payload} or {seq, quarantined}',
});
export type BatchLine = Static<typeof BatchLine>;
/** 200: the stream's committed position after the batch. */
export const BatchAnswer = object({ committedSeq: Type.Optional(Seq) });
export type BatchAnswer = Static<typeof BatchAnswer>;

export const bodySha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/** What a batch's signature covers: the headers and the SHA-256 (hex) of the compressed body. */
export function batchSigningString(h: BatchHeaders, bodyHashHex: string): string {
  return ['classedge-batch-v1', h.appliance, h.batch, h.stream, String(h.first), String(h.last), bodyHashHex].join(
    '\n',
  );
}

/** Every header of a batch upload, signed. */
export function batchRequestHeaders(h: BatchHeaders, body: Buffer, key: KeyObject): Record<string, string> {
  const hash = bodySha256(body);
  return {
    'content-type': 'application/x-ndjson',
    [H.appliance]: h.appliance,
    [H.batch]: h.batch,
    [H.stream]: h.stream,
    [H.first]: String(h.first),
    [H.last]: String(h.last),
    [H.bodySha256]: hash,
    [H.signature]: signText(batchSigningString(h, hash), key),
  };
}

/** The signature checked on the headers alone (the declared body hash); the body is checked against it after. */
export function verifyBatchHeaders(
  h: BatchHeaders,
  bodyHashHex: string,
  signature: string,
  publicKeyPem: string,
): boolean {
  return verifyText(batchSigningString(h, bodyHashHex), signature, publicKeyPem);
}

// ---- Erasure: the `erasures` stream ------------------------------------------------------------

/**
 * A student erased on the appliance (`classedge student erase`): the district deletes that student's
 * records of this appliance. The batch is signed as every batch is; each record is signed on its own
 * too, so the district can keep it as the proof of what it was asked to erase, apart from the batch.
 */
export const ERASURE_STREAM = 'erasures';
/** Streams whose payload names one student by `pseudonym`. */
export const STUDENT_STREAMS = ['health-checks', 'absences'] as const;
/** Streams whose payload lists students in `pseudonyms` (class-level outbreak signals). */
export const LISTING_STREAMS = ['health-alerts'] as const;
export const ErasureRecord = object({
  pseudonym: Type.String({ pattern: '^P[A-Za-z0-9_-]{1,40}$', expected: 'a student pseudonym' }),
  erasedAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, expected: 'a time in ms' }),
  signature: Short,
});
export type ErasureRecord = Static<typeof ErasureRecord>;

/** What an erasure record's signature covers: the appliance, the pseudonym and when. */
export function erasureSigningString(applianceId: string, r: Pick<ErasureRecord, 'pseudonym' | 'erasedAt'>): string {
  return ['classedge-erasure-v1', applianceId, r.pseudonym, String(r.erasedAt)].join('\n');
}

// ---- Any answer ----------------------------------------------------------------------------------

/** A record of a batch the district refuses (`record_refused`): its number and why. */
export const RefusedRecord = object({ seq: LineSeq, reason: Text });
export type RefusedRecord = Static<typeof RefusedRecord>;
/**
 * A refusal: a stable code, what was wrong, for a replay or a gap the stream's committed position,
 * and for `record_refused` (422) the records refused (the rest of the batch was fine): the appliance
 * quarantines those and sends the batch again without them.
 */
export const ErrorAnswer = object({
  error: Text,
  message: Text,
  committedSeq: Type.Optional(Seq),
  refused: Type.Optional(Type.Array(RefusedRecord, { maxItems: 10000, expected: 'a list of {seq, reason}' })),
});
export type ErrorAnswer = Static<typeof ErrorAnswer>;
/** GET /v1/health (for a load balancer). */
export const HealthAnswer = object({ status: Text });
export type HealthAnswer = Static<typeof HealthAnswer>;
/** Any answer's body as the agent first reads it: a JSON object (anything else reads as `{}`). */
export const AnswerObject = Type.Record(Type.String(), Type.Unknown(), { expected: 'a JSON object' });

// ---- Checking ------------------------------------------------------------------------------------

/**
 * Where a value broke its schema: the field (a JSON pointer, '' for the value itself), what was expected and what came.
 */
export interface WireProblem {
  path: string;
  expected: string;
  value: unknown;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: WireProblem };

/** A compiled check of one schema: the value, typed, or the first problem found. */
export function wireCheck<T extends TSchema>(schema: T): (v: unknown) => Checked<Static<T>> {
  const c = TypeCompiler.Compile(schema);
  return (v) => {
    if (c.Check(v)) return { ok: true, value: v };
    const e = c.Errors(v).First();
    const expected: unknown = e?.schema.expected;
    return {
      ok: false,
      problem: {
        path: e?.path ?? '',
        expected: typeof expected === 'string' ? expected : (e?.message ?? 'a valid value'),
        value: e?.value,
      },
    };
  };
}

/**
 * Where a value holds the NUL character (U+0000) in a string or a key, as a JSON pointer; undefined
 * when nowhere. JSON allows it (`\u0000`), PostgreSQL's jsonb and text do not: a record holding one
 * would fail its insert on every retry and stall the stream behind it.
 */
export function nulPath(v: unknown, path = ''): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path || '/' : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    const at = `${path}/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (String(k).includes('\u0000')) return at;
    const inner = nulPath(x, at);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** `/field: expected ..., got <the value, cut short>`, the wording of every refusal of wire data. */
export function describeProblem(p: WireProblem, root = '(body)'): string {
  return `${p.path || root}: expected ${p.expected}, ${p.value === undefined ? 'missing' : `got ${JSON.stringify(p.value)?.slice(0, 40)}`}`;
}
