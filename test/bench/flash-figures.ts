import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { tempDir } from '../helpers/env.js';
import mqtt from 'mqtt';
import { demoSensors } from '../../edge/cli/demo.js';
import { Store } from '../../edge/store/store.js';
import { addDevice } from '../../edge/services/devices.js';
import type { FigureGroup } from './figures.js';
import { measured, percentile, ratio, sampled } from './guard.js';
import { readJournal } from '../../edge/store/readings-journal.js';

/** Bytes this process has caused to be written to a block device (Linux /proc/<pid>/io). */
export function writeBytes(pid: number): number {
  const m = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/io has no write_bytes`);
  return Number(m[1]);
}

/** Readings stored durably: in the table, or in the journal past the table's applied position. */
export function readingsCount(dataDir: string): number {
  const db = new Database(join(dataDir, 'classedge.db'), { readonly: true, fileMustExist: true });
  try {
    const inTable = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    const applied = (db.prepare('SELECT seq FROM readings_journal_applied').get() as { seq: number }).seq;
    const journaled = readJournal(join(dataDir, 'journal'))
      .filter((r) => r.seq > applied)
      .reduce((n, r) => n + r.rows.length, 0);
    return inTable + journaled;
  } finally {
    db.close();
  }
}

export interface FlashRun {
  bytes: number;
  readings: number;
  seconds: number;
  /** PUBACK latencies (ms) of a probe device publishing QoS 1 every 2 s, when asked for. */
  ackMs: number[];
}

/**
 * Run an appliance (its own process, so that /proc/<pid>/io counts only its writes) with `components`,
 * and measure its block-device writes against the readings it stored over `windowMs`. The window
 * should cover whole store.applyIntervalMs periods: SQLite's batches are part of the cost.
 */
export async function measureFlash(
  components: unknown[],
  o: { warmupMs: number; windowMs: number; ackProbe?: boolean },
): Promise<FlashRun> {
  const dir = tempDir('classedge-flash-');
  const data = join(dir.path, 'data');
  const config = join(dir.path, 'config.yaml');
  writeFileSync(
    config,
    `appliance: { id: flash-bench }\nlog: { level: warn }\ncomponents: ${JSON.stringify(components)}\n`,
  );
  let probe: { username: string; password: string } | undefined;
  if (o.ackProbe) {
    const seed = Store.open({ dataDir: data, store: { synchronous: 'FULL' } });
    try {
      probe = (await addDevice(seed, { id: 'ack-probe', kind: 'sensor' }, 'bench')).mqtt;
    } finally {
      seed.close();
    }
  }
  const app = await spawnAppliance(data, ['--config', config]);
  const ackMs: number[] = [];
  let client: mqtt.MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await healthy(app);
    let measuring = false;
    if (probe) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
        username: probe.username,
        password: probe.password,
        clientId: probe.username,
      });
      client = c;
      await new Promise((r) => c.once('connect', r));
      // The demo's Wi-Fi sensor, timed: four metrics at QoS 1 every 2 s.
      let n = 0;
      timer = setInterval(() => {
        const sent = performance.now();
        const metrics = { co2_ppm: 600 + (n % 50), temperature_c: 22, humidity_pct: 45, pm25_ugm3: 12 + (n++ % 5) };
        c.publish('classedge/dev/ack-probe/reading', JSON.stringify({ ts: Date.now(), metrics }), { qos: 1 }, (err) => {
          if (!err && measuring) ackMs.push(performance.now() - sent);
        });
      }, 2000);
    }
    await new Promise((r) => setTimeout(r, o.warmupMs));
    const pid = app.child.pid as number;
    const b0 = writeBytes(pid);
    const r0 = readingsCount(data);
    const t0 = Date.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, o.windowMs));
    clearInterval(timer);
    const b1 = writeBytes(pid);
    const r1 = readingsCount(data);
    return { bytes: b1 - b0, readings: r1 - r0, seconds: (Date.now() - t0) / 1000, ackMs };
  } finally {
    clearInterval(timer);
    client?.end(true);
    app.child.kill('SIGTERM');
    await app.exited;
    dir.cleanup();
  }
}

/**
 * A realistic classroom as issue 19 defines it: 30 sensors, one reading each per 10 s (QoS 1), around the
 * clock: three readings a second.
 */
export function classroomSensors(): unknown[] {
  const kinds = ['co2_ppm', 'temperature_c', 'humidity_pct', 'pm25_ugm3'] as const;
  return Array.from({ length: 30 }, (_, i) => ({
    type: 'mqtt-sensor-sim',
    name: `room-sensor-${i}`,
    deviceId: `room-${i}`,
    intervalMs: 10_000,
    seed: i + 1,
    metrics: [kinds[i % kinds.length]],
  }));
}

/** A consumer TLC card's endurance as assumed for the projection (docs/storage.md). */
const CARD_GB = 32;
const TLC_PE_CYCLES = 1000;
const WRITE_AMPLIFICATION = 4;

export const flashFigures: FigureGroup = {
  figures: ['flash_bytes_per_reading', 'flash_mb_per_day', 'flash_card_life_years', 'qos1_ack_latency_ms_p95'],
  async run() {
    // Two whole SQLite batches (store.applyIntervalMs, 5 min) in each window; both appliances at once.
    const windowMs = 2 * 300_000 + 10_000;
    const pty = tempDir('classedge-flash-pty-');
    try {
      const [demo, room] = await Promise.all([
        measureFlash(demoSensors(pty.path, false), { warmupMs: 30_000, windowMs, ackProbe: true }),
        measureFlash(classroomSensors(), { warmupMs: 30_000, windowMs }),
      ]);
      const perReading = ratio('flash_bytes_per_reading', demo.bytes, demo.readings);
      measured('flash_mb_per_day: readings stored', room.readings);
      const perDay = (ratio('flash_mb_per_day', room.bytes, room.seconds) * 86_400) / 1e6;
      sampled('qos1_ack_latency_ms_p95: PUBACKs timed', demo.ackMs, 100);
      return {
        flash_bytes_per_reading: Math.round(perReading),
        flash_mb_per_day: Math.round(perDay * 10) / 10,
        flash_card_life_years: Math.round((CARD_GB * 1000 * TLC_PE_CYCLES) / WRITE_AMPLIFICATION / perDay / 365),
        qos1_ack_latency_ms_p95: Math.round(percentile('qos1_ack_latency_ms_p95', demo.ackMs, 95)),
      };
    } finally {
      pty.cleanup();
    }
  },
};
