import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ReadingsJournal, readJournal, scanSegment, encodeRecord } from '../../edge/store/readings-journal.js';
import { ReadingsPipeline, journalDir } from '../../edge/ingest/readings-pipeline.js';
import { Store } from '../../edge/store/store.js';
import { TypedEmitter } from '../../edge/runtime/component.js';
import { createLogger } from '../../edge/log.js';
import type { LiveEvents } from '../../edge/messages.js';
import type { ReadingRow } from '../../edge/store/repos/readings.js';
import { tempDir } from '../helpers/env.js';

const T0 = Date.parse('2026-11-02T08:00:00Z');
const SEG = 64 * 1024;

function message(i: number, device = 'air-1'): ReadingRow[] {
  return [
    { deviceId: device, metric: 'co2_ppm', value: 400 + i, ts: T0 + i * 1000, receivedAt: T0 + i * 1000 + 5 },
    {
      deviceId: device,
      metric: 'temperature_c',
      value: 20 + (i % 10),
      ts: T0 + i * 1000,
      receivedAt: T0 + i * 1000 + 5,
    },
  ];
}

function pipeline(
  dataDir: string,
  store: Store,
  over: Partial<ConstructorParameters<typeof ReadingsPipeline>[0]> = {},
) {
  const log = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  return new ReadingsPipeline({
    readings: store.readings,
    bus: new TypedEmitter<LiveEvents>(log),
    journalDir: journalDir(dataDir),
    maxDelayMs: 20,
    maxRows: 5000,
    polledSyncMaxMs: 50,
    applyIntervalMs: 3_600_000,
    applyMaxRows: 100_000,
    segmentBytes: SEG,
    ...over,
  });
}

test(
  'journal: records come back in order; a torn tail, a bad CRC and garbage end the scan there',
  { timeout: 30_000 },
  () => {
    const dir = tempDir();
    try {
      const { journal } = ReadingsJournal.open(dir.path, SEG);
      journal.append([message(1), message(2), message(3)]);
      journal.sync();
      journal.close();
      const file = join(dir.path, 'readings-0.journal');
      assert.equal(statSync(file).size, SEG, 'preallocated to the segment size');
      const recs = readJournal(dir.path, SEG);
      assert.deepEqual(
        recs.map((r) => r.seq),
        [1, 2, 3],
      );
      assert.deepEqual(recs[1]?.rows, message(2));

      // A torn write: the third record's last bytes never reached the disk.
      const buf = readFileSync(file);
      const third = buf.indexOf(Buffer.from('"t":' + String(T0 + 3000)));
      const torn = Buffer.from(buf);
      torn.fill(0, third + 5, third + 40);
      assert.deepEqual(
        scanSegment(torn).records.map((r) => r.seq),
        [1, 2],
      );
      // One flipped bit in the second record's payload: its CRC no longer matches.
      const flipped = Buffer.from(buf);
      const second = buf.indexOf(Buffer.from('"t":' + String(T0 + 2000)));
      flipped[second + 2] = (flipped[second + 2] as number) ^ 0x01;
      assert.deepEqual(
        scanSegment(flipped).records.map((r) => r.seq),
        [1],
      );
      // A length that runs past the segment, and random bytes: nothing is read, nothing throws.
      const huge = Buffer.from(buf);
      huge.writeUInt32LE(0xffffffff, 0);
      assert.deepEqual(scanSegment(huge).records, []);
      for (let i = 0; i < 200; i++) {
        const junk = Buffer.alloc(1 + Math.floor(Math.random() * 4096));
        for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(Math.random() * 256);
        assert.doesNotThrow(() => scanSegment(junk));
      }
      // Rows of several devices and times in one submission (a bulk import) come back as they went in.
      const mixed = [...message(7, 'a'), ...message(8, 'b')];
      assert.deepEqual(scanSegment(encodeRecord(1, mixed)).records[0]?.rows, mixed);
      // A record whose payload is valid JSON of the wrong shape is refused, not turned into rows.
      const odd = encodeRecord(1, message(1));
      const bad = Buffer.from(JSON.stringify({ d: 7, t: 'x', r: 1, m: 3 }));
      assert.equal(scanSegment(Buffer.concat([odd.subarray(0, 16), bad])).records.length, 0);
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'journal: segments alternate; reopening continues numbering, also past a store position',
  { timeout: 30_000 },
  () => {
    const dir = tempDir();
    try {
      let { journal } = ReadingsJournal.open(dir.path, SEG);
      let seq = 0;
      while (journal.fits(message(seq))) seq = journal.append([message(seq)]);
      journal.switchSegment();
      const next = journal.append([message(9999)]);
      assert.equal(next, seq + 1);
      journal.close();
      const recs = readJournal(dir.path, SEG);
      assert.equal(recs.at(-1)?.seq, next, 'the new segment is read after the old one');
      assert.equal(recs[0]?.seq, 1);

      ({ journal } = ReadingsJournal.open(dir.path, SEG));
      assert.equal(journal.nextSeq, next + 1);
      journal.close();
      // The store applied further than the files show (the journal was lost): numbering goes past it.
      ({ journal } = ReadingsJournal.open(dir.path, SEG, next + 500));
      assert.equal(journal.nextSeq, next + 501);
      journal.close();
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: acknowledged after the sync, applied once to SQLite, replayed after a crash',
  { timeout: 30_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store);
      await Promise.all([1, 2, 3].map((i) => p.submitAsync(message(i))));
      await p.submitAsync(message(4, 'modbus-1'), 'polled');
      assert.equal(store.readings.count(), 0, 'not in SQLite before an apply');
      assert.equal(p.pendingRows, 8);
      assert.equal(p.latest().find((r) => r.deviceId === 'modbus-1')?.value, 404, 'latest includes journaled rows');
      assert.ok(p.journalSyncs >= 1);
      // A crash: the pipeline is never closed; the process's files stay as they are.
      store.close();

      // Whoever opens the store next puts the journal's readings in, once.
      const again = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      assert.equal(again.readings.count(), 8);
      again.close();
      const third = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      assert.equal(third.readings.count(), 8, 'a second open does not apply them again');
      const p2 = pipeline(dir.path, third);
      assert.equal(p2.replayedRows, 0);
      await p2.submitAsync(message(5));
      p2.apply();
      assert.equal(third.readings.count(), 10);
      const ids = third.readings.after(0, 100).map((r) => r.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(new Set(ids).size, ids.length);
      p2.close();
      third.close();
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: a full segment is applied to SQLite before it is reused; nothing is lost across many turns',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store, { maxDelayMs: 0 });
      const N = 3000; // about 150 bytes a record: several turns of two 64 KB segments
      for (let i = 0; i < N; i++) await p.submitAsync(message(i), i % 2 === 0 ? 'acknowledged' : 'polled');
      assert.ok(p.applies >= 4, `applied on segment switches (${p.applies})`);
      p.close();
      assert.equal(store.readings.count(), 2 * N);
      store.close();
      const reopened = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      assert.equal(reopened.readings.count(), 2 * N, 'reopening applies nothing twice');
      reopened.close();
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: an acknowledged reading waits at most maxDelayMs; a page of them is synced at once',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store, { maxDelayMs: 300 });
      const t0 = performance.now();
      await p.submitAsync(message(1));
      const alone = performance.now() - t0;
      assert.ok(alone >= 250, `a lone reading waited ${alone.toFixed(0)} ms for company`);
      p.close();
      // A bound far longer than the test: 40 messages of ~150 bytes pass 4 KB and are synced without it.
      const patient = pipeline(dir.path, store, { maxDelayMs: 60_000 });
      const syncs = patient.journalSyncs;
      const t1 = performance.now();
      await Promise.all(Array.from({ length: 40 }, (_, i) => patient.submitAsync(message(100 + i))));
      assert.ok(performance.now() - t1 < 30_000, 'a full page does not wait for the bound');
      assert.equal(patient.journalSyncs - syncs, 1, 'one sync for the page');
      patient.close();
      store.close();
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: a failing apply keeps the readings in the journal and memory and tries again',
  { timeout: 30_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store);
      await p.submitAsync(message(1));
      // The database goes away under the pipeline (as on a failing disk): the apply fails.
      store.close();
      assert.throws(() => p.apply());
      assert.equal(p.pendingRows, 2, 'kept for the next try');
      const again = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      assert.equal(again.readings.count(), 2, 'and the journal still has them for whoever opens the store');
      again.close();
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: when the journal is full and the database refuses, a reading is not acknowledged',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store, { maxDelayMs: 0 });
      store.close(); // every apply fails from now on
      let refused: Error | undefined;
      for (let i = 0; i < 2000 && !refused; i++) {
        try {
          await p.submitAsync(message(i));
        } catch (err) {
          refused = err as Error;
        }
      }
      assert.ok(refused, 'the device is told no once the segment cannot be emptied');
      assert.match(refused.message, /database connection is not open/);
      assert.equal(
        readJournal(journalDir(dir.path), SEG).length,
        p.pendingRows / 2,
        'everything acknowledged is journaled',
      );
    } finally {
      dir.cleanup();
    }
  },
);

test(
  'pipeline: a resend of a journaled message (same device, time and metrics) is acknowledged and stored once, also after a crash',
  { timeout: 30_000 },
  async () => {
    const dir = tempDir();
    try {
      const store = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p = pipeline(dir.path, store);
      await p.submitAsync(message(1));
      await p.submitAsync(message(1));
      await p.submitAsync(message(1), 'polled');
      assert.equal(p.duplicates, 2);
      // The same time with other values of another metric is another reading.
      await p.submitAsync([{ ...(message(1)[0] as ReadingRow), metric: 'noise_dba', value: 50 }]);
      store.close(); // a crash before any apply: the device got no PUBACK for its last message and resends it
      const again = Store.open({ dataDir: dir.path, store: { synchronous: 'FULL' } });
      const p2 = pipeline(dir.path, again);
      await p2.submitAsync(message(1));
      assert.equal(p2.duplicates, 1, 'recognised from the journal after the restart');
      p2.close();
      assert.equal(again.readings.count(), 3);
      again.close();
    } finally {
      dir.cleanup();
    }
  },
);
