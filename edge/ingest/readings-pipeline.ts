import { join } from 'node:path';
import type { ReadingRow, ReadingsRepo } from '../store/repos/readings.js';
import { ReadingsJournal, SEGMENT_BYTES, type JournalRecord } from '../store/readings-journal.js';
import type { TypedEmitter } from '../runtime/component.js';
import type { LiveEvents } from '../messages.js';
import type { Config } from '../config/schema.js';

/**
 * What the sender of a reading was promised:
 * - `acknowledged`: a device waits for our acknowledgement (MQTT QoS 1 PUBACK): `done` runs once the
 *   reading survives a power cut (its journal record is synced);
 * - `polled`: nobody waits (a Modbus poll, an MQTT QoS 0 message): `done` runs at once; the reading
 *   survives a crash of the process at once and a power cut within `polledSyncMaxMs`.
 */
export type Durability = 'acknowledged' | 'polled';

export interface ReadingsPipelineOptions {
  readings: ReadingsRepo;
  bus: TypedEmitter<LiveEvents>;
  /** Where the journal's two segments live (`<dataDir>/journal`). */
  journalDir: string;
  /** Longest an acknowledged reading waits for the sync it shares with others (store.groupCommitMaxDelayMs). */
  maxDelayMs: number;
  /** Rows waiting for a sync at most before it happens at once (store.groupCommitMaxRows). */
  maxRows: number;
  /** Longest a polled reading stays in the page cache only (store.polledSyncMaxMs). */
  polledSyncMaxMs: number;
  /** How often the journal's records go into SQLite (store.applyIntervalMs). */
  applyIntervalMs: number;
  /** Rows held for SQLite at most before they go at once (store.applyMaxRows). */
  applyMaxRows: number;
  segmentBytes?: number;
}

/** Acknowledged records fill a flash page (4 KB) before the bound: then waiting longer saves nothing. */
const PAGE_BYTES = 4096;
/** Messages remembered to recognise a device's resend (hours of a classroom's messages). */
const RECENT_MESSAGES = 50_000;

/**
 * The same reading sent again: the same device, time and metrics. QoS 1 is "at least once": a device
 * that got no PUBACK before a crash or a reconnect sends the message again, with its own time stamp.
 */
function messageKey(rows: readonly ReadingRow[]): string {
  const first = rows[0] as ReadingRow;
  return `${first.deviceId}\u0000${first.ts}\u0000${rows.map((r) => `${r.deviceId}:${r.metric}:${r.ts}`).join(',')}`;
}

/** The journal directory of a data directory. */
export function journalDir(dataDir: string): string {
  return join(dataDir, 'journal');
}

/** The pipeline's options from the configuration (store.*). */
export function pipelineOptions(
  config: Pick<Config, 'dataDir' | 'store'>,
  readings: ReadingsRepo,
  bus: TypedEmitter<LiveEvents>,
): ReadingsPipelineOptions {
  return {
    readings,
    bus,
    journalDir: journalDir(config.dataDir),
    maxDelayMs: config.store.groupCommitMaxDelayMs,
    maxRows: config.store.groupCommitMaxRows,
    polledSyncMaxMs: config.store.polledSyncMaxMs,
    applyIntervalMs: config.store.applyIntervalMs,
    applyMaxRows: config.store.applyMaxRows,
    segmentBytes: config.store.journalSegmentKb * 1024,
  };
}

interface Waiter {
  rows: readonly ReadingRow[];
  done: (err: Error | null) => void;
}

/**
 * Where every validated reading goes, whatever brought it (MQTT, Modbus, a simulator): the readings
 * journal first (edge/store/readings-journal.ts), SQLite in batches behind it, one live event per
 * source message as soon as it is journaled. Flash wear decides the shape (docs/storage.md): an
 * acknowledged reading costs one fdatasync of one page shared by every reading that arrived within
 * `maxDelayMs`, and SQLite writes its pages once per `applyIntervalMs` instead of once per reading.
 */
export class ReadingsPipeline {
  readonly #o: ReadingsPipelineOptions;
  readonly #journal: ReadingsJournal;
  #waiters: Waiter[] = [];
  #waitingBytes = 0;
  #waitingRows = 0;
  #ackTimer: NodeJS.Timeout | undefined;
  #polledTimer: NodeJS.Timeout | undefined;
  #applyTimer: NodeJS.Timeout | undefined;
  #unapplied: JournalRecord[] = [];
  /** The newest journaled row of each series not yet in SQLite (device NUL metric). */
  #latest = new Map<string, ReadingRow>();
  #unappliedRows = 0;
  #closed = false;
  #applyError: Error | undefined;
  /** Keys of the messages journaled lately, oldest first (a Map keeps insertion order). */
  readonly #recent = new Map<string, true>();
  /** Messages recognised as a resend of one already journaled, and not stored again. */
  duplicates = 0;
  /** Rows of the journal's records replayed into SQLite at start (after a crash or power cut). */
  readonly replayedRows: number;
  commits = 0;
  committedRows = 0;
  applies = 0;
  appliedRows = 0;
  onCommit: ((rows: number, ms: number) => void) | undefined;

  constructor(opts: ReadingsPipelineOptions) {
    this.#o = opts;
    const { journal, records } = ReadingsJournal.open(
      opts.journalDir,
      opts.segmentBytes ?? SEGMENT_BYTES,
      opts.readings.journalAppliedSeq(),
    );
    this.#journal = journal;
    this.replayedRows = records.length > 0 ? opts.readings.applyJournal(records) : 0;
    // A device whose message was journaled just before a crash sends it again after the restart.
    for (const r of records.slice(-RECENT_MESSAGES)) if (r.rows.length > 0) this.#remember(messageKey(r.rows));
    this.#applyTimer = setInterval(() => this.#applySafely(), opts.applyIntervalMs);
    this.#applyTimer.unref();
  }

  /** Rows of one source message (same device and time). */
  submit(
    rows: readonly ReadingRow[],
    done: (err: Error | null) => void,
    durability: Durability = 'acknowledged',
  ): void {
    if (this.#closed) {
      done(new Error('store is closing'));
      return;
    }
    if (rows.length === 0) {
      done(null);
      return;
    }
    if (this.#recent.has(messageKey(rows))) {
      // Already journaled: acknowledged once that copy is synced (at once when it already is), stored once.
      this.duplicates++;
      if (durability === 'polled') return done(null);
      this.#waiters.push({ rows: [], done });
      clearTimeout(this.#ackTimer);
      this.#ackTimer = setTimeout(() => this.#releaseAcks(), 0);
      return;
    }
    let bytes: number;
    try {
      bytes = this.#append(rows);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // Live at once, whatever the promise: the kiosk's tiles and the rules need not wait for the sync (a
    // value shown and then lost to a power cut within the sync bound is a value the room had).
    this.#emit(rows);
    if (durability === 'polled') {
      this.committedRows += rows.length;
      if (this.#polledTimer === undefined) {
        this.#polledTimer = setTimeout(() => {
          this.#polledTimer = undefined;
          this.#syncSafely();
        }, this.#o.polledSyncMaxMs);
        this.#polledTimer.unref();
      }
      done(null);
      return;
    }
    this.#waiters.push({ rows, done });
    this.#waitingBytes += bytes;
    this.#waitingRows += rows.length;
    if (this.#waitingBytes >= PAGE_BYTES || this.#waitingRows >= this.#o.maxRows || this.#o.maxDelayMs === 0) {
      // A full page (or the row bound) is worth a sync now; on the next tick, so that a burst of
      // messages already read from the sockets shares it.
      clearTimeout(this.#ackTimer);
      this.#ackTimer = setTimeout(() => this.#releaseAcks(), 0);
    } else if (this.#ackTimer === undefined) {
      this.#ackTimer = setTimeout(() => this.#releaseAcks(), this.#o.maxDelayMs);
    }
  }

  submitAsync(rows: readonly ReadingRow[], durability: Durability = 'acknowledged'): Promise<void> {
    return new Promise((resolve, reject) => this.submit(rows, (err) => (err ? reject(err) : resolve()), durability));
  }

  /** Journal the rows (a new segment when the active one is full); returns the bytes written. */
  #append(rows: readonly ReadingRow[]): number {
    if (!this.#journal.fits(rows)) {
      // Everything in the other segment must be in SQLite before it is overwritten.
      this.#releaseAcks();
      this.apply();
      this.#journal.switchSegment();
    }
    const before = this.#journal.appendedBytes;
    const seq = this.#journal.append([rows]);
    this.#unapplied.push({ seq, rows: [...rows] });
    this.#remember(messageKey(rows));
    for (const r of rows) {
      const key = `${r.deviceId}\u0000${r.metric}`;
      const seen = this.#latest.get(key);
      if (!seen || r.ts >= seen.ts) this.#latest.set(key, r);
    }
    this.#unappliedRows += rows.length;
    if (this.#unappliedRows >= this.#o.applyMaxRows) setImmediate(() => this.#applySafely());
    return this.#journal.appendedBytes - before;
  }

  #remember(key: string): void {
    this.#recent.set(key, true);
    if (this.#recent.size > RECENT_MESSAGES) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  /** Sync the journal and acknowledge everyone waiting for it. */
  #releaseAcks(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    this.#waitingBytes = 0;
    this.#waitingRows = 0;
    const t0 = performance.now();
    let error: Error | null = null;
    try {
      this.#journal.sync();
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    const ms = performance.now() - t0;
    if (error === null) {
      const rows = waiters.reduce((n, w) => n + w.rows.length, 0);
      this.commits++;
      this.committedRows += rows;
      this.onCommit?.(rows, ms);
    }
    for (const w of waiters) w.done(error);
  }

  #syncSafely(): void {
    try {
      this.#journal.sync();
    } catch {
      // The next acknowledged reading's sync (or the next apply) tries again and reports its error.
    }
  }

  #emit(rows: readonly ReadingRow[]): void {
    const first = rows[0] as ReadingRow;
    const metrics: Record<string, number> = {};
    for (const r of rows) metrics[r.metric] = r.value;
    this.#o.bus.safeEmit('reading', {
      deviceId: first.deviceId,
      ts: first.ts,
      receivedAt: first.receivedAt,
      metrics,
    });
  }

  #applySafely(): void {
    try {
      this.apply();
      this.#applyError = undefined;
    } catch (err) {
      // Kept in the journal and in memory: the next interval tries again.
      this.#applyError = err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Put every journaled reading into SQLite now (one transaction). Readers that must see the newest
   * readings in SQLite (the sync agent, a backup, the readings API) call this first.
   */
  apply(): number {
    if (this.#unapplied.length === 0) return 0;
    const records = this.#unapplied;
    const n = this.#o.readings.applyJournal(records);
    this.#unapplied = [];
    this.#unappliedRows = 0;
    this.#latest.clear();
    this.applies++;
    this.appliedRows += n;
    return n;
  }

  /** The newest value of every series: the store's, or a newer one still on its way into it. */
  latest(): ReadingRow[] {
    const out = new Map<string, ReadingRow>();
    for (const r of this.#o.readings.latest()) out.set(`${r.deviceId}\u0000${r.metric}`, r);
    for (const [key, r] of this.#latest) {
      const stored = out.get(key);
      if (!stored || r.ts >= stored.ts) out.set(key, r);
    }
    return [...out.values()].sort((a, b) =>
      a.deviceId === b.deviceId ? a.metric.localeCompare(b.metric) : a.deviceId.localeCompare(b.deviceId),
    );
  }

  /** The last error of a background apply, until one succeeds. */
  get applyError(): Error | undefined {
    return this.#applyError;
  }

  /** Rows journaled and not yet in SQLite. */
  get pendingRows(): number {
    return this.#unappliedRows;
  }

  get journalBytes(): number {
    return this.#journal.appendedBytes;
  }

  get journalSyncs(): number {
    return this.#journal.syncs;
  }

  /** Acknowledge what waits, put everything into SQLite and refuse more. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#releaseAcks();
    this.#closed = true;
    clearInterval(this.#applyTimer);
    clearTimeout(this.#polledTimer);
    try {
      this.apply();
    } finally {
      this.#journal.close();
    }
  }
}
