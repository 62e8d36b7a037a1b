import { randomUUID, randomBytes } from 'node:crypto';
import { gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { BaseComponent } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../errors.js';
import { monoNow } from '../clock.js';
import { localTime, toMinute } from '../config/timetable.js';
import { applianceKey, readEnrolment, writeEnrolment, type Enrolment } from './keys.js';
import {
  ErrorAnswer,
  HeartbeatAnswer,
  REQUEST_KINDS,
  heartbeatSigningExtra,
  batchRequestHeaders,
  configSigningString,
  requestSigningString,
  batchSigningString,
  bodySha256,
  describeProblem,
  wireCheck,
  type BatchLine,
  type ConfigAppliedRequest,
  type HeartbeatRequest,
  type HeartbeatStatus,
  type SignedRequest,
  type UpdateOffer,
  BUNDLE_HEADERS,
  bundleSigningExtra,
} from '../../cloud-sync/protocol.js';
import { signText, verifyText } from '../security/signing.js';
import { editConfig, toChanges, type ConfigSource } from '../config/edit.js';
import { getToFile, postJsonish } from './http-client.js';
import { FleetUpdater } from '../update/fleet.js';
import {
  committedSeq,
  configAnswer,
  followRotations,
  keyRotations,
  streamPositions,
  verifiedAnswer,
} from './answers.js';

/** Meta keys: how many district answers were refused as not signed or not verifying, and the last reason. */
const ANSWERS_REFUSED = 'sync-answers-refused';
const LAST_ANSWER_REFUSED = 'sync-answer-refused-last';
import { utcDay } from '../ingest/timestamps.js';
import type { QuarantineSummary } from '../store/repos/quarantine.js';

const checkError = wireCheck(ErrorAnswer);
const checkHeartbeatAnswer = wireCheck(HeartbeatAnswer);
const gzipAsync = promisify(gzip);

/** The district's answer to a request: its status and JSON body. */
type Answer = { status: number; json: Record<string, unknown> };

/** One batch ready to send: its lines, the records behind them, the compressed body and the signed headers. */
interface Batch {
  h: { appliance: string; batch: string; stream: Stream; first: number; last: number };
  lines: BatchLine[];
  records: Map<number, { day: string; payload: unknown }>;
  body: Buffer;
  headers: Record<string, string>;
}

const DAY_MS = 86_400_000;

/**
 * `utcDay` for a run of times that mostly share a day (a batch of readings): a Date is made only when
 * a time leaves the last day seen, not once a record (20 000 Dates a batch cost more than the batch's gzip).
 */
function dayOfSorted(): (ms: number) => string {
  let from = 0;
  let to = 0;
  let day = '';
  return (ms) => {
    if (ms >= from && ms < to) return day;
    day = utcDay(ms);
    if (day !== 'invalid') {
      from = Math.floor(ms / DAY_MS) * DAY_MS;
      to = from + DAY_MS;
    }
    return day;
  };
}

/** Streams sent as soon as the district is reachable; the rest wait for the night window. */
// Erasures first: the district deletes an erased student's records as soon as the link allows.
export const PRIORITY_STREAMS = [
  'erasures',
  'health-alerts',
  'env-alerts',
  'health-checks',
  'absences',
  'health-days',
  'env-days',
  'lessons',
] as const;
export const BULK_STREAMS = ['readings', 'screen-time'] as const;
export type Stream = (typeof PRIORITY_STREAMS)[number] | (typeof BULK_STREAMS)[number];

export interface StreamStatus {
  stream: string;
  confirmedSeq: number;
  backlog: number;
  lastSuccessAt: number | null;
  lastError: string | null;
  /** Records the district refused, held back in the quarantine. */
  quarantined: number;
}

export interface SyncAgentOptions {
  config: Config;
  store: Store;
  log: Logger;
  /** Where desired configuration from the district is written (the file a start reads). */
  configSource?: ConfigSource;
  /** The wall clock (time of day for the bulk window, stamps); Date.now by default. */
  now?: () => number;
  /** The monotonic clock that paces retries and the bandwidth cap; `monoNow` by default. */
  mono?: () => number;
  /** Puts readings still in the journal into the store before the readings stream is read. */
  applyReadings?: () => void;
  /** Readings journaled and not yet in the store. */
  pendingReadings?: () => number;
  /** The status sent every sync.heartbeatSeconds (edge/sync/heartbeat.ts); none is sent without it. */
  heartbeat?: () => HeartbeatStatus;
}

/**
 * Sends every district-bound record exactly once. Each stream is numbered without gaps (readings
 * by their row id, the rest through the outbox the database fills by trigger). A batch is removed
 * from the outbox only after the district answered with a committed sequence at or past it, and
 * every restart resumes from the district's own answer.
 */
export class SyncAgent extends BaseComponent {
  readonly name = 'sync';
  readonly kind = 'sync-agent';
  readonly #o: SyncAgentOptions;
  #enrolment: Enrolment | undefined;
  #key: KeyObject | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #retryAt = 0;
  #failures = 0;
  #bulkRequested = false;
  /**
   * The readings batch after the one in flight, read, compressed and sent while the district commits
   * that one: `after` is the position it continues from; its answer is used only if the stream stands
   * there when the one before is confirmed (otherwise it is dropped and the district, which orders a
   * stream's batches under a row lock and refuses a gap, has stored it once or not at all).
   */
  #ahead: { after: number; batch: Promise<Batch | undefined>; answer: Promise<Answer | undefined> } | undefined;
  /** Requests still out, settled or not: stop() waits for them (a read-ahead batch may outlive its round). */
  readonly #inFlight = new Set<Promise<void>>();
  readonly #c = {
    batches: 0,
    records: 0,
    failures: 0,
    bytesSent: 0,
    answersRefused: 0,
    quarantined: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
  };
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #heartbeating: Promise<void> | undefined;
  /** A heartbeat was asked for while one was out: the next one goes soon after it. */
  #heartbeatSoon = false;
  /** Updates the district offers in heartbeat answers (edge/update/fleet.ts); with heartbeats only. */
  readonly fleet: FleetUpdater | undefined;

  constructor(o: SyncAgentOptions) {
    super();
    this.#o = o;
    if (o.heartbeat)
      this.fleet = new FleetUpdater({
        config: o.config,
        log: o.log,
        download: (offer, file, offset) => this.downloadBundle(offer, file, offset),
        changed: () => this.heartbeatSoon(),
        ...(o.now ? { now: o.now } : {}),
      });
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  get enrolled(): boolean {
    return this.#enrolment !== undefined;
  }

  async start(): Promise<void> {
    this.#enrolment = readEnrolment(this.#o.config.dataDir);
    if (!this.#enrolment) {
      this.setState('running', 'not enrolled with a district: nothing is sent (classedge enrol)');
      return;
    }
    this.#key = applianceKey(this.#o.config.dataDir).privateKey;
    this.#o.store.meta.set('enrolled', this.#enrolment.districtUrl);
    this.setState('running');
    this.#timer = setInterval(() => this.kick(), this.#o.config.sync.intervalMs);
    this.#timer.unref();
    this.kick();
    // The first heartbeat at once: the district console shows a box online as soon as it starts.
    if (this.#o.heartbeat) this.#scheduleHeartbeat(0);
    this.fleet?.start();
  }

  /** Send a heartbeat within a second (a fleet update moved on), or right after the one out now. */
  heartbeatSoon(): void {
    if (this.#stopped || !this.#enrolment || !this.#o.heartbeat) return;
    if (this.#heartbeating) {
      this.#heartbeatSoon = true;
      return;
    }
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer);
    this.#scheduleHeartbeat(1000);
  }

  /**
   * GET an offered bundle into `file` from `offset` (a Range then), signed in its headers, under
   * `update.downloadKbps`.
   */
  async downloadBundle(
    offer: UpdateOffer,
    file: string,
    offset: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; received: number; error?: string }> {
    if (!this.#enrolment) throw new Error('not enrolled with a district');
    const range = offset > 0 ? `bytes=${offset}-` : '';
    const req = this.#signed(REQUEST_KINDS.bundle, bundleSigningExtra(offer.sha256, range));
    const c = this.#o.config;
    return getToFile(
      new URL(offer.path, this.#enrolment.districtUrl),
      {
        [BUNDLE_HEADERS.appliance]: req.applianceId,
        [BUNDLE_HEADERS.nonce]: req.nonce,
        [BUNDLE_HEADERS.signature]: req.signature,
        ...(range ? { range } : {}),
      },
      file,
      {
        offset,
        maxBytes: offer.size,
        kbps: c.update.downloadKbps,
        timeoutMs: c.sync.timeoutMs,
        caFile: c.sync.districtCaFile,
        allowPlainHttp: c.sync.allowPlainHttp,
        signal,
      },
    );
  }

  #scheduleHeartbeat(inMs: number): void {
    if (this.#stopped) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeating = this.heartbeatNow()
        .then(
          (nextInS) => this.#scheduleHeartbeat((nextInS ?? this.#o.config.sync.heartbeatSeconds) * 1000),
          (err: unknown) => {
            this.#c.heartbeatFailures++;
            this.#o.log.warn({ err: errorMessage(err) }, 'heartbeat not delivered; the next one is sent as usual');
            this.#scheduleHeartbeat(this.#o.config.sync.heartbeatSeconds * 1000);
          },
        )
        .finally(() => {
          this.#heartbeating = undefined;
          if (this.#heartbeatSoon) {
            this.#heartbeatSoon = false;
            this.heartbeatSoon();
          }
        });
    }, inMs);
    this.#heartbeatTimer.unref();
  }

  /**
   * Send the status now and return the interval the district asked for, if it asked. Throws when
   * the district cannot be reached, refuses, or its answer does not verify.
   */
  async heartbeatNow(): Promise<number | undefined> {
    if (!this.#enrolment || !this.#o.heartbeat) throw new Error('not enrolled with a district, or no status to send');
    const update = this.fleet?.report();
    const status: HeartbeatStatus = { ...this.#o.heartbeat(), ...(update ? { update } : {}) };
    const extra = heartbeatSigningExtra(status);
    const req: HeartbeatRequest = { ...this.#signed(REQUEST_KINDS.heartbeat, extra), status };
    const r = await this.#post('/v1/heartbeat', JSON.stringify(req), { 'content-type': 'application/json' });
    if (r.status !== 200)
      throw new Error(`heartbeat: HTTP ${r.status} ${String(r.json.error ?? '')} ${String(r.json.message ?? '')}`);
    const checked = checkHeartbeatAnswer(
      this.#verified('heartbeat answer', r, this.#requestText(REQUEST_KINDS.heartbeat, req, extra)),
    );
    if (!checked.ok) throw new Error(`heartbeat answer: ${describeProblem(checked.problem)}`);
    this.#c.heartbeats++;
    this.fleet?.offer(checked.value.offer);
    return checked.value.nextInS;
  }

  /** Send the bulk streams now too, outside the night window (`classedge sync now`). */
  requestBulk(): void {
    this.#bulkRequested = true;
    this.#retryAt = 0;
    this.kick();
  }

  kick(): void {
    if (this.#running || this.#stopped || !this.#enrolment) return;
    this.#running = this.syncOnce()
      .catch((err: unknown) => this.#o.log.error({ err: errorMessage(err) }, 'sync round failed'))
      .finally(() => {
        this.#running = undefined;
      });
  }

  #inBulkWindow(now: number): boolean {
    const w = this.#o.config.sync.bulkWindow;
    const m = localTime(now, this.#o.config.appliance.timezone).minute;
    const from = toMinute(w.from);
    const to = toMinute(w.to);
    return from <= to ? m >= from && m < to : m >= from || m < to;
  }

  /** One round: learn the district's positions, then drain every eligible stream. */
  async syncOnce(): Promise<void> {
    // Retry pacing runs on the monotonic clock (a wall clock set back must not pause sync for the
    // size of the jump); the wall clock only says whether it is the bulk window's time of day.
    const now = this.#o.now?.() ?? Date.now();
    const mono = this.#o.mono?.() ?? monoNow();
    if (mono < this.#retryAt) return;
    try {
      await this.#adoptDistrictState();
      await this.#pullConfig();
      const streams: Stream[] = [...PRIORITY_STREAMS];
      if (this.#bulkRequested || this.#inBulkWindow(now)) streams.push(...BULK_STREAMS);
      for (const s of streams) while ((await this.#sendOne(s)) > 0 && !this.#stopped);
      if (streams.length > PRIORITY_STREAMS.length) this.#bulkRequested = false;
      this.#failures = 0;
      this.setState('running');
    } catch (err) {
      this.#ahead = undefined;
      this.#failures++;
      this.#c.failures++;
      // Exponential backoff with full jitter, so a district coming back is not hit by every classroom at once.
      const cap = Math.min(this.#o.config.sync.retryMaxMs, 1000 * 2 ** this.#failures);
      this.#retryAt = mono + Math.round(Math.random() * cap);
      this.setState('degraded', `district unreachable or refusing: ${errorMessage(err)}`);
      this.#o.log.warn(
        { err: errorMessage(err), retryInMs: Math.round(this.#retryAt - mono) },
        'sync failed; will retry',
      );
    }
  }

  /** When the bandwidth cap lets the next upload start (monotonic ms, `monoNow`). */
  #nextSendAt = 0;

  async #throttle(bytes: number): Promise<void> {
    const kbps = this.#o.config.sync.bandwidthKbps;
    if (kbps <= 0) return;
    const now = this.#o.mono?.() ?? monoNow();
    const start = Math.max(now, this.#nextSendAt);
    this.#nextSendAt = start + (bytes * 8) / kbps;
    if (start > now) await new Promise((r) => setTimeout(r, start - now));
  }

  async #post(
    path: string,
    body: Buffer | string,
    headers: Record<string, string>,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.#c.bytesSent += size;
    await this.#throttle(size);
    const p = postJsonish(new URL(path, this.#enrolment?.districtUrl), body, headers, {
      timeoutMs: this.#o.config.sync.timeoutMs,
      caFile: this.#o.config.sync.districtCaFile,
      maxAnswerBytes: this.#o.config.sync.maxAnswerBytes,
      allowPlainHttp: this.#o.config.sync.allowPlainHttp,
    });
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return p;
  }

  /**
   * The district's answer to the request that signed `requestText`, once the district key pinned at
   * enrolment (or reached from it by signed rotations the answer carries) verifies it. A refused
   * answer changes nothing, is counted (`classedge sync status`) and fails the round with the reason.
   */
  #verified(
    what: string,
    r: { status: number; json: Record<string, unknown> },
    requestText: string,
  ): Record<string, unknown> {
    try {
      this.#followRotations(r.json);
      const e = this.#enrolment as Enrolment;
      return verifiedAnswer(what, r, {
        applianceId: e.applianceId,
        requestText,
        districtPublicKeyPem: e.districtPublicKeyPem,
      });
    } catch (err) {
      const why = errorMessage(err);
      const count = Number(this.#o.store.meta.get(ANSWERS_REFUSED) ?? 0) + 1;
      this.#o.store.meta.set(ANSWERS_REFUSED, String(count));
      this.#o.store.meta.set(LAST_ANSWER_REFUSED, JSON.stringify({ at: Date.now(), why }));
      this.#c.answersRefused++;
      this.#o.log.warn({ why }, 'district answer refused');
      throw err;
    }
  }

  /** Pin the district's new key when the answer carries a rotation the pinned key signed. */
  #followRotations(json: Record<string, unknown>): void {
    const e = this.#enrolment as Enrolment;
    const rotations = keyRotations(json);
    if (rotations.length === 0) return;
    const { pinnedPem, accepted } = followRotations(e.districtPublicKeyPem, rotations, this.#o.now?.() ?? Date.now());
    if (accepted.length === 0) return;
    const next: Enrolment = { ...e, districtPublicKeyPem: pinnedPem };
    writeEnrolment(this.#o.config.dataDir, next);
    this.#enrolment = next;
    for (const r of accepted)
      this.#o.store.audit.record({
        actor: 'district',
        action: 'sync.key-rotation',
        target: r.previousKey.slice(0, 16),
        result: 'ok',
        detail: { notBefore: r.notBefore },
      });
    this.#o.log.info({ rotations: accepted.length }, 'district key rotated: the new key is pinned');
  }

  /** Answers refused since enrolment, and the last reason (`classedge sync status`). */
  refusedAnswers(): { count: number; last: { at: number; why: string } | null } {
    const last = this.#o.store.meta.get(LAST_ANSWER_REFUSED);
    return {
      count: Number(this.#o.store.meta.get(ANSWERS_REFUSED) ?? 0),
      last: last ? (JSON.parse(last) as { at: number; why: string }) : null,
    };
  }

  #confirmed(stream: string): number {
    return this.#o.store.outbox.confirmedSeq(stream);
  }

  /** Record the district's position; drop what it holds from the outbox. */
  #confirm(stream: string, seq: number): void {
    this.#o.store.outbox.confirm(stream, seq);
  }

  async #adoptDistrictState(): Promise<void> {
    const req = this.#signed(REQUEST_KINDS.state);
    const r = await this.#post('/v1/state', JSON.stringify(req), {
      'content-type': 'application/json',
    });
    if (r.status !== 200) throw new Error(`state query: HTTP ${r.status} ${String(r.json.message ?? '')}`);
    const answer = this.#verified('state answer', r, this.#requestText(REQUEST_KINDS.state, req));
    const positions = streamPositions(answer, [...PRIORITY_STREAMS, ...BULK_STREAMS]);
    // A database that replaced a damaged one numbered from 1: its records move past the district's positions first.
    if (this.#o.store.streamRebase.pending()) {
      const moved = this.#o.store.streamRebase.rebase(positions);
      this.#o.store.audit.record({ actor: 'system', action: 'sync.rebased', result: 'ok', detail: { moved } });
      this.#o.log.warn({ moved }, 'fresh database: its records renumbered after the district positions');
    }
    // A commit whose answer was lost (cut connection, crash) is known from the district's own position.
    for (const [stream, seq] of positions) if (seq > this.#confirmed(stream)) this.#confirm(stream, seq);
  }

  /** What a signed request signed: an answer to it is bound to this text. */
  #requestText(kind: string, req: SignedRequest, extra = ''): string {
    return requestSigningString(kind, req.applianceId, req.nonce, extra);
  }

  #signed(kind: string, extra = ''): SignedRequest {
    const e = this.#enrolment as Enrolment;
    const nonce = randomBytes(16).toString('hex');
    return {
      applianceId: e.applianceId,
      nonce,
      signature: signText(requestSigningString(kind, e.applianceId, nonce, extra), this.#key as KeyObject),
    };
  }

  /**
   * Fetch and apply the district's desired configuration once, outside the sync rounds
   * (`classedge provision` takes the first one before the appliance ever starts). Throws when the
   * district cannot be asked; returns the applied version afterwards.
   */
  async pullConfigNow(): Promise<number> {
    this.#enrolment ??= readEnrolment(this.#o.config.dataDir);
    if (!this.#enrolment) throw new Error('not enrolled with a district');
    this.#key ??= applianceKey(this.#o.config.dataDir).privateKey;
    await this.#pullConfig();
    return this.configVersion();
  }

  configVersion(): number {
    return Number(this.#o.store.meta.get('config-version') ?? 0);
  }

  /**
   * The twin: the district's desired configuration, applied only when signed by the district and
   * newer than what was applied, through the same validation as the local file; the outcome is
   * reported back either way.
   */
  async #pullConfig(): Promise<void> {
    const e = this.#enrolment as Enrolment;
    const req = this.#signed(REQUEST_KINDS.config);
    const r = await this.#post('/v1/config', JSON.stringify(req), {
      'content-type': 'application/json',
    });
    if (r.status !== 200) throw new Error(`config query: HTTP ${r.status}`);
    const answer = configAnswer(this.#verified('config answer', r, this.#requestText(REQUEST_KINDS.config, req)));
    const version = answer.version;
    const applied = this.configVersion();
    // What was refused is remembered by version and signature: the same publication is refused once.
    const publication = `${version} ${answer.signature}`;
    const refused = this.#o.store.meta.get('config-refused');
    if (version === 0 || version === applied || publication === refused) return;
    const report = async (result: string): Promise<void> => {
      const body: ConfigAppliedRequest = {
        ...this.#signed(REQUEST_KINDS.applied, `\n${version}\n${result}`),
        version,
        result,
      };
      await this.#post('/v1/config/applied', JSON.stringify(body), { 'content-type': 'application/json' });
    };
    const refuse = async (why: string): Promise<void> => {
      this.#o.store.meta.set('config-refused', publication);
      this.#o.store.audit.record({
        actor: 'district',
        action: 'config.pull',
        target: String(version),
        result: 'denied',
        detail: { why },
      });
      this.#o.log.warn({ version, why }, 'district configuration refused');
      await report(`refused: ${why}`);
    };
    if (version < applied) return refuse(`version ${version} is older than the applied ${applied}`);
    const config = answer.config;
    if (!verifyText(configSigningString(e.applianceId, version, config), answer.signature, e.districtPublicKeyPem))
      return refuse('signature does not verify with the district key');
    if (!this.#o.configSource) return refuse('this appliance has no configuration file to write');
    try {
      editConfig(this.#o.configSource, toChanges(config), { dryRun: false });
    } catch (err) {
      return refuse(errorMessage(err));
    }
    this.#o.store.meta.set('config-version', String(version));
    this.#o.store.audit.record({
      actor: 'district',
      action: 'config.pull',
      target: String(version),
      result: 'ok',
      detail: { paths: toChanges(config).map((c) => c.path) },
    });
    this.#o.log.info({ version }, 'district configuration applied; it takes effect at the next start');
    await report('applied');
  }

  #records(stream: Stream, after: number): { seq: number; day: string; payload: unknown }[] {
    const max = this.#o.config.sync.batchMaxRecords;
    if (stream === 'readings') {
      this.#o.applyReadings?.();
      const day = dayOfSorted();
      return this.#o.store.readings.after(after, max).map((r) => ({
        seq: r.id,
        // A time no Date can hold gives a day the district refuses by name: quarantined, not a round that throws.
        day: day(r.ts),
        payload: { device: r.deviceId, metric: r.metric, value: r.value, ts: r.ts },
      }));
    }
    return this.#o.store.outbox.after(stream, after, max).map((r) => {
      const payload = JSON.parse(r.payload) as { day?: string };
      return { seq: r.seq, day: payload.day ?? utcDay(r.createdAt), payload };
    });
  }

  /** The next batch's lines: the stream's records, each quarantined one sent as its number and reason only. */
  #lines(
    stream: Stream,
    after: number,
  ): { lines: BatchLine[]; records: Map<number, { day: string; payload: unknown }> } {
    const records = this.#records(stream, after);
    const held = this.#o.store.quarantine.reasons(stream, records[0]?.seq ?? 0, records.at(-1)?.seq ?? -1);
    const lines = records.map((r): BatchLine => {
      const reason = held.get(r.seq);
      return reason === undefined ? r : { seq: r.seq, quarantined: reason.slice(0, 500) };
    });
    return { lines, records: new Map(records.map((r) => [r.seq, r])) };
  }

  /**
   * A batch the district refused by naming its records (422 `record_refused`): those records move to
   * the quarantine with the district's reason, and the batch is sent again without them. Returns how
   * many were quarantined; 0 when the answer named none this batch could hold back.
   */
  #quarantine(
    stream: Stream,
    answer: Record<string, unknown>,
    batch: { first: number; last: number; lines: BatchLine[]; records: Map<number, { day: string; payload: unknown }> },
  ): number {
    const a = checkError(answer);
    if (!a.ok || a.value.error !== 'record_refused' || !a.value.refused) return 0;
    const held = new Set(batch.lines.flatMap((l) => ('quarantined' in l ? [l.seq] : [])));
    const now = Date.now();
    const take = a.value.refused.flatMap((x) => {
      const r = batch.records.get(x.seq);
      if (!r || held.has(x.seq) || x.seq < batch.first || x.seq > batch.last) return [];
      return [
        {
          stream,
          seq: x.seq,
          day: r.day,
          payload: JSON.stringify(r.payload),
          reason: x.reason.slice(0, 500) || 'refused by the district',
          quarantinedAt: now,
        },
      ];
    });
    if (take.length === 0) return 0;
    this.#o.store.quarantine.add(take);
    this.#c.quarantined += take.length;
    this.#o.log.warn(
      { stream, records: take.length, first: take[0]?.seq, reason: take[0]?.reason },
      'district refused records; quarantined, the stream goes on',
    );
    return take.length;
  }

  /**
   * The batch of `stream` after position `after`, or undefined when nothing is waiting. The records
   * are read at once; the body is compressed on the calling thread, or on zlib's thread pool with
   * `compress: 'async'` (the read-ahead, which runs while the event loop has a batch in flight).
   */
  #batch(stream: Stream, after: number, compress: 'sync'): Batch | undefined;
  #batch(stream: Stream, after: number, compress: 'async'): Promise<Batch | undefined>;
  #batch(stream: Stream, after: number, compress: 'sync' | 'async'): Batch | undefined | Promise<Batch | undefined> {
    const e = this.#enrolment as Enrolment;
    const { lines, records } = this.#lines(stream, after);
    const first = lines[0];
    const last = lines.at(-1);
    if (!first || !last) return undefined;
    const h = { appliance: e.applianceId, batch: randomUUID(), stream, first: first.seq, last: last.seq };
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    const make = (body: Buffer): Batch => ({
      h,
      lines,
      records,
      body,
      headers: batchRequestHeaders(h, body, this.#key as KeyObject),
    });
    if (compress === 'sync') return make(gzipSync(text, { level: 6 }));
    return gzipAsync(text, { level: 6 }).then(make);
  }

  /** The read-ahead batch and its answer when it continues from `confirmed`; otherwise it is dropped. */
  async #takeAhead(
    stream: Stream,
    confirmed: number,
  ): Promise<{ batch: Batch; answer: Promise<Answer | undefined> } | undefined> {
    const a = this.#ahead;
    this.#ahead = undefined;
    if (stream !== 'readings' || a?.after !== confirmed) return undefined;
    const batch = await a.batch;
    return batch ? { batch, answer: a.answer } : undefined;
  }

  /** Send one batch of a stream; returns how many records the district newly confirmed. */
  async #sendOne(stream: Stream): Promise<number> {
    const confirmed = this.#confirmed(stream);
    const ahead = await this.#takeAhead(stream, confirmed);
    const batch = ahead?.batch ?? this.#batch(stream, confirmed, 'sync');
    if (!batch) return 0;
    const { h, lines, records, body } = batch;
    const answer = ahead?.answer ?? this.#post('/v1/batches', body, batch.headers);
    // Readings never change once stored, so the next batch can be read, compressed and sent while
    // this one is being committed: the district's checks of one batch overlap its database's insert of
    // the other (two batches in flight: docs/benchmarks.md, "Sync figures"). Only
    // readings: outbox records may still be withdrawn (a student's erasure) until they are read to send.
    // It starts after this request is on the socket (setImmediate runs after the pending writes); a
    // read that fails here is tried again, and reported, when the batch is needed.
    if (stream === 'readings') {
      const next = new Promise<void>((r) => setImmediate(r))
        .then(() => (this.#stopped ? undefined : this.#batch(stream, h.last, 'async')))
        .catch(() => undefined);
      const nextAnswer = next.then((b) =>
        b && !this.#stopped ? this.#post('/v1/batches', b.body, b.headers) : undefined,
      );
      // Awaited only when the stream gets there; a failure is reported then (or never, when dropped).
      nextAnswer.catch(() => undefined);
      this.#ahead = { after: h.last, batch: next, answer: nextAnswer };
    }
    const r = await answer;
    if (!r) return 0;
    // What changes the outbox (a position, a list of records to quarantine) is taken only from an
    // answer the district signed for this very request.
    const requestText = batchSigningString(h, bodySha256(body));
    let committed: number | undefined;
    let refusal: Record<string, unknown> = r.json;
    try {
      if (r.status === 200) committed = committedSeq(this.#verified(`${stream} batch answer`, r, requestText));
      else if (r.status === 422) refusal = this.#verified(`${stream} batch refusal`, r, requestText);
    } catch (err) {
      this.#o.store.outbox.recordError(stream, errorMessage(err));
      throw err;
    }
    if (r.status === 200 && committed !== undefined) {
      this.#confirm(stream, committed);
      this.#c.batches++;
      this.#c.records += lines.length;
      return committed - confirmed;
    }
    if (r.status === 422 && this.#quarantine(stream, refusal, { first: h.first, last: h.last, lines, records }) > 0)
      return 1;
    this.#o.store.outbox.recordError(stream, `HTTP ${r.status}: ${String(r.json.message ?? '')}`);
    throw new Error(
      `${stream} batch ${h.first}..${h.last}: HTTP ${r.status} ${String(r.json.error ?? '')} ${String(r.json.message ?? '')}`,
    );
  }

  streams(): StreamStatus[] {
    const rows = new Map(this.#o.store.outbox.states().map((r) => [r.stream, r]));
    // Readings still in the journal count as waiting without being put into the store for a status view.
    const maxReading = this.#o.store.readings.maxId() + (this.#o.pendingReadings?.() ?? 0);
    return [...PRIORITY_STREAMS, ...BULK_STREAMS].map((s) => {
      const r = rows.get(s);
      const confirmed = r?.confirmedSeq ?? 0;
      const backlog =
        s === 'readings' ? Math.max(0, maxReading - confirmed) : this.#o.store.outbox.pending(s, confirmed);
      return {
        stream: s,
        confirmedSeq: confirmed,
        backlog,
        lastSuccessAt: r?.lastSuccessAt ?? null,
        lastError: r?.lastError ?? null,
        quarantined: this.#o.store.quarantine.count(s),
      };
    });
  }

  /** The records the district refused: how many, per stream, and the latest with their reasons. */
  quarantine(): QuarantineSummary {
    return this.#o.store.quarantine.summary();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer);
    await this.fleet?.stop();
    await this.#running;
    await this.#heartbeating;
    await Promise.all(this.#inFlight);
    this.setState('stopped');
  }
}
