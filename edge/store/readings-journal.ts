import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ReadingRow } from './repos/readings.js';

/**
 * The append-only journal in front of the readings table: what makes "acknowledged = durable" cheap
 * on flash. A QoS 1 reading is acknowledged once its journal record is on the device (one fdatasync
 * of the page the record ends in); SQLite takes the journal's records in large batches minutes later.
 * A commit straight into SQLite would write a 4 KB WAL frame for every page it touches (the table,
 * each index, the meta row), several per reading at a classroom's rate (docs/storage.md).
 *
 * Two preallocated segments are written in turn. Preallocated (written with zeros once) so that an
 * fdatasync never has to write the file's size or block map too. A segment is only reused once
 * everything in it is in SQLite (the pipeline applies before it switches), so a crash never loses a
 * record that is not in SQLite yet.
 *
 * Record: length (u32 LE, of the payload), CRC-32 (u32 LE, of seq and payload), seq (f64 LE, a whole
 * number: one more than the record before, across segments), payload (UTF-8 JSON of one source
 * message's rows). Reading stops at the first record whose length, CRC or seq is not the next one:
 * a torn write at a power cut, or older records of the segment's previous turn.
 */
export const SEGMENT_BYTES = 4 * 1024 * 1024;
const HEADER = 16;
/** Largest payload accepted back from a file (a bulk import's batch of rows at most). */
const MAX_PAYLOAD = 1024 * 1024;
const SEGMENTS = ['readings-0.journal', 'readings-1.journal'] as const;

export interface JournalRecord {
  seq: number;
  rows: ReadingRow[];
}

/** One source message's rows: device and times once, or (rows of several times) each row whole. */
type Payload =
  { d: string; t: number; r: number; m: [string, number][] } | { rows: [string, string, number, number, number][] };

function encodePayload(rows: readonly ReadingRow[]): Buffer {
  const first = rows[0] as ReadingRow;
  const shared = rows.every(
    (r) => r.deviceId === first.deviceId && r.ts === first.ts && r.receivedAt === first.receivedAt,
  );
  const p: Payload = shared
    ? { d: first.deviceId, t: first.ts, r: first.receivedAt, m: rows.map((r) => [r.metric, r.value]) }
    : { rows: rows.map((r) => [r.deviceId, r.metric, r.value, r.ts, r.receivedAt]) };
  return Buffer.from(JSON.stringify(p), 'utf8');
}

const isRow = (x: unknown): x is [string, string, number, number, number] =>
  Array.isArray(x) &&
  x.length === 5 &&
  typeof x[0] === 'string' &&
  typeof x[1] === 'string' &&
  Number.isFinite(x[2]) &&
  Number.isFinite(x[3]) &&
  Number.isFinite(x[4]);

function decodePayload(buf: Buffer): ReadingRow[] | undefined {
  try {
    const p = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    if (Array.isArray(p.rows)) {
      if (!p.rows.every(isRow)) return undefined;
      return p.rows.map(([deviceId, metric, value, ts, receivedAt]) => ({ deviceId, metric, value, ts, receivedAt }));
    }
    const { d, t, r, m } = p;
    if (typeof d !== 'string' || typeof t !== 'number' || typeof r !== 'number' || !Array.isArray(m)) return undefined;
    if (!m.every((x) => Array.isArray(x) && typeof x[0] === 'string' && Number.isFinite(x[1]))) return undefined;
    return (m as [string, number][]).map(([metric, value]) => ({ deviceId: d, metric, value, ts: t, receivedAt: r }));
  } catch {
    return undefined;
  }
}

export function encodeRecord(seq: number, rows: readonly ReadingRow[]): Buffer {
  const payload = encodePayload(rows);
  const out = Buffer.alloc(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeDoubleLE(seq, 8);
  payload.copy(out, HEADER);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/**
 * The records of one segment's buffer from its start: in order, each the one after the last, ending at
 * the first that is not (torn, stale or garbage). `end` is where the next record goes.
 */
export function scanSegment(buf: Buffer): { records: JournalRecord[]; end: number } {
  const records: JournalRecord[] = [];
  let off = 0;
  let prev: number | undefined;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len === 0 || len > MAX_PAYLOAD || off + HEADER + len > buf.length) break;
    const seq = buf.readDoubleLE(off + 8);
    if (!Number.isSafeInteger(seq) || seq < 1 || (prev !== undefined && seq !== prev + 1)) break;
    if (crc32(buf.subarray(off + 8, off + HEADER + len)) !== buf.readUInt32LE(off + 4)) break;
    const rows = decodePayload(buf.subarray(off + HEADER, off + HEADER + len));
    if (!rows) break;
    records.push({ seq, rows });
    prev = seq;
    off += HEADER + len;
  }
  return { records, end: off };
}

function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * The records of a journal directory, read without writing (a CLI opening the store while the appliance
 * is stopped, or running: a record being written is torn, and read next time). Empty when absent.
 */
export function readJournal(dir: string, segmentBytes = SEGMENT_BYTES): JournalRecord[] {
  const scans = SEGMENTS.map((name) => {
    const file = join(dir, name);
    if (!existsSync(file)) return [];
    const fd = openSync(file, 'r');
    try {
      return scanSegment(readWhole(fd, segmentBytes)).records;
    } finally {
      closeSync(fd);
    }
  });
  return joinSegments(scans[0] ?? [], scans[1] ?? []);
}

/** Both segments' records in order: the older segment counts only when it leads up to the newer one. */
function joinSegments(a: JournalRecord[], b: JournalRecord[]): JournalRecord[] {
  const [older, newer] = (b.at(-1)?.seq ?? 0) > (a.at(-1)?.seq ?? 0) ? [a, b] : [b, a];
  const first = newer[0]?.seq;
  return first !== undefined && older.at(-1)?.seq === first - 1 ? [...older, ...newer] : newer;
}

export class ReadingsJournal {
  readonly #segmentBytes: number;
  readonly #fds: number[] = [];
  #active = 0;
  #offset = 0;
  #nextSeq = 1;
  #unsynced = false;
  #closed = false;
  /** Bytes appended and fdatasyncs made since open (for /metrics and the bench). */
  appendedBytes = 0;
  syncs = 0;

  private constructor(segmentBytes: number) {
    this.#segmentBytes = segmentBytes;
  }

  /**
   * Open (creating and preallocating when missing) the journal in `dir`, and return it with the
   * records it holds, oldest first: those past the store's applied position must be applied first.
   * `appliedSeq` is that position: numbering goes on past it even when the journal was lost, so that a
   * new record is never taken for one already applied.
   */
  static open(
    dir: string,
    segmentBytes = SEGMENT_BYTES,
    appliedSeq = 0,
  ): { journal: ReadingsJournal; records: JournalRecord[] } {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const j = new ReadingsJournal(segmentBytes);
    const scans: { records: JournalRecord[]; end: number }[] = [];
    for (const name of SEGMENTS) {
      const file = join(dir, name);
      const fd = openSync(file, 'a+');
      closeSync(fd);
      const rw = openSync(file, 'r+');
      j.#fds.push(rw);
      const size = statSync(file).size;
      if (size < segmentBytes) j.#preallocate(rw, size);
      scans.push(scanSegment(readWhole(rw, segmentBytes)));
    }
    // The active segment is the one holding the newest record; the other holds older ones or none.
    const last = scans.map((s) => s.records.at(-1)?.seq ?? 0);
    j.#active = (last[1] ?? 0) > (last[0] ?? 0) ? 1 : 0;
    const other = 1 - j.#active;
    const active = scans[j.#active] as { records: JournalRecord[]; end: number };
    j.#offset = active.end;
    j.#nextSeq = Math.max(appliedSeq, ...last) + 1;
    const records = joinSegments((scans[other] as { records: JournalRecord[] }).records, active.records);
    return { journal: j, records };
  }

  #preallocate(fd: number, from: number): void {
    // In 4 KB writes, not larger: the page cache keeps a large write in a large folio (kernel 6.x), and an
    // append that dirties a byte of it dirties (and is counted as writing) the whole folio.
    const zeros = Buffer.alloc(4096);
    for (let off = from; off < this.#segmentBytes; off += zeros.length)
      writeSync(fd, zeros, 0, Math.min(zeros.length, this.#segmentBytes - off), off);
    // Once, with the size: later appends overwrite blocks the file already has.
    fsyncSync(fd);
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes still free in the active segment. */
  get room(): number {
    return this.#segmentBytes - this.#offset;
  }

  /** Whether `rows` fit in the active segment as one record. */
  fits(rows: readonly ReadingRow[]): boolean {
    return encodeRecord(this.#nextSeq, rows).length <= this.room;
  }

  /**
   * Append one record per source message, written (not yet synced): the page cache holds it, so a
   * process crash loses nothing; `sync` makes it survive a power cut. Returns the first seq; throws
   * when the segment is full (the caller applies to SQLite and calls `switchSegment`).
   */
  append(messages: readonly (readonly ReadingRow[])[]): number {
    if (this.#closed) throw new Error('readings journal is closed');
    const first = this.#nextSeq;
    const bufs = messages.map((rows, i) => encodeRecord(first + i, rows));
    const all = Buffer.concat(bufs);
    if (all.length > this.room) throw new Error(`readings journal segment full (${this.room} bytes left)`);
    const fd = this.#fds[this.#active] as number;
    let done = 0;
    while (done < all.length) done += writeSync(fd, all, done, all.length - done, this.#offset + done);
    this.#offset += all.length;
    this.#nextSeq += messages.length;
    this.appendedBytes += all.length;
    this.#unsynced = true;
    return first;
  }

  /** fdatasync the active segment if anything was written since the last one. */
  sync(): void {
    if (!this.#unsynced || this.#closed) return;
    fdatasyncSync(this.#fds[this.#active] as number);
    this.#unsynced = false;
    this.syncs++;
  }

  get unsynced(): boolean {
    return this.#unsynced;
  }

  /**
   * Start writing the other segment from its start. Only once every record written so far is applied
   * to SQLite durably: its older records are overwritten.
   */
  switchSegment(): void {
    this.sync();
    this.#active = 1 - this.#active;
    this.#offset = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.sync();
    this.#closed = true;
    for (const fd of this.#fds) closeSync(fd);
  }
}
