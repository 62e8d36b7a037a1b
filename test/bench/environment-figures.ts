import { Writable } from 'node:stream';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { openSerial, closeSerial } from '../../firmware-bridge/serial/serial-link.js';
import { RtuMaster } from '../../firmware-bridge/modbus/rtu-master.js';
import { ModbusSlaveSim } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import { loadProfiles, planReads } from '../../firmware-bridge/modbus/profile.js';
import { interFrameMs, responseLength, wireMs } from '../../firmware-bridge/modbus/codec.js';
import { DEMO_MODBUS_SLAVES } from '../../edge/cli/demo.js';
import { Store } from '../../edge/store/store.js';
import { ReadingsPipeline, pipelineOptions } from '../../edge/ingest/readings-pipeline.js';
import { EnvironmentService } from '../../edge/environment/service.js';
import { TypedEmitter } from '../../edge/runtime/component.js';
import { parseConfig } from '../../edge/config/load.js';
import { createLogger } from '../../edge/log.js';
import type { LiveEvents } from '../../edge/messages.js';
import { tempDir } from '../helpers/env.js';
import type { FigureGroup } from './figures.js';
import { atLeast, measured, median as medianOf, ratio } from './guard.js';

const BAUD = 9600;

/**
 * One poll of six sensors at 9600 baud over a pty, with the simulator holding each reply for the
 * time the bytes take on a real line. The floor is the wire time plus the 3.5-character gap
 * before each request; the ratio says what the software adds.
 */
async function pollCycle(): Promise<Record<string, number>> {
  const pty = await openPtyPair();
  const sim = new ModbusSlaveSim({ path: pty.b, baudRate: BAUD, slaves: [...DEMO_MODBUS_SLAVES] });
  await sim.start();
  const port = await openSerial({ path: pty.a, baudRate: BAUD, parity: 'none' });
  const master = new RtuMaster({
    port,
    baudRate: BAUD,
    responseTimeoutMs: 500,
    usbLatencyMs: 20,
    writeTimeoutMs: 1000,
  });
  const profiles = loadProfiles();
  const plan = DEMO_MODBUS_SLAVES.flatMap((s) =>
    planReads(profiles.get(s.profile)!).map((b) => ({ address: s.address, ...b })),
  );
  const floor = plan.reduce(
    (ms, b) =>
      ms +
      interFrameMs(BAUD) +
      wireMs(8 + responseLength({ fn: b.fn, address: b.address, start: b.start, count: b.count }), BAUD),
    0,
  );
  const cycles: number[] = [];
  try {
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      for (const b of plan) await master.request({ fn: b.fn, address: b.address, start: b.start, count: b.count });
      if (i >= 5) cycles.push(performance.now() - t0);
    }
  } finally {
    master.close();
    await closeSerial(port);
    await sim.stop();
    await pty.close();
  }
  atLeast('Modbus reads planned for the six sensors', plan.length, 6);
  const median = medianOf('poll cycles', cycles);
  return {
    modbus_poll_cycle_ms: Math.round(median * 10) / 10,
    modbus_poll_cycle_wire_ms: Math.round(measured('wire time of a cycle', floor) * 10) / 10,
    modbus_poll_cycle_vs_wire: Math.round(ratio('cycle / wire', median, floor) * 100) / 100,
  };
}

/** Readings through the pipeline (group commit into SQLite) and the environment service (rollups, windows, rules). */
async function envPipeline(): Promise<Record<string, number>> {
  const dir = tempDir('classedge-bench-');
  const config = parseConfig(`dataDir: ${JSON.stringify(dir.path)}\nenvironment: { haDiscovery: false }`, 'bench');
  const store = Store.open(config);
  const log = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const bus = new TypedEmitter<LiveEvents>(log);
  const pipeline = new ReadingsPipeline(pipelineOptions(config, store.readings, bus));
  const env = new EnvironmentService({ config, store, bus, log, publish: () => undefined });
  await env.start();
  const metrics = ['co2_ppm', 'temperature_c', 'humidity_pct', 'pm25_ugm3', 'noise_dba', 'illuminance_lx'];
  const values = [800, 23, 50, 20, 50, 400];
  const N = 200_000;
  const t0 = performance.now();
  try {
    let done = 0;
    let failed: Error | undefined;
    const all = new Promise<void>((resolve, reject) => {
      const onDone = (err: Error | null): void => {
        if (err) reject((failed = err));
        else if (++done === N) resolve();
      };
      const base = Date.now() - N;
      const submitFrom = async (): Promise<void> => {
        for (let i = 0; i < N && !failed; i++) {
          const k = i % metrics.length;
          pipeline.submit(
            [
              {
                deviceId: `dev-${i % 6}`,
                metric: metrics[k] as string,
                value: (values[k] as number) + (i % 7),
                ts: base + i,
                receivedAt: Date.now(),
              },
            ],
            onDone,
          );
          // Yield now and then, as messages arriving from sockets would.
          if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
        }
      };
      submitFrom().catch(reject);
    });
    await all;
    atLeast('readings committed', done, N);
    env.flush();
  } finally {
    await env.stop();
    pipeline.close();
    store.close();
    dir.cleanup();
  }
  return {
    env_pipeline_readings_per_s: Math.round(ratio('readings per second', N, (performance.now() - t0) / 1000)),
  };
}

export const environmentFigures: FigureGroup[] = [
  { figures: ['modbus_poll_cycle_ms', 'modbus_poll_cycle_wire_ms', 'modbus_poll_cycle_vs_wire'], run: pollCycle },
  { figures: ['env_pipeline_readings_per_s'], run: envPipeline },
];
