import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../edge/store/store.js';
import { addDevice } from '../../edge/services/devices.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { ROOT, tempDir } from '../helpers/env.js';
import { qos1Load } from './load.js';
import { measured, median, ratio } from './guard.js';
import { kioskFigures } from './kiosk-figures.js';
import { environmentFigures } from './environment-figures.js';
import { displayFigures } from './display-figures.js';
import { healthFigures } from './health-figures.js';
import { syncFigures } from './sync-figures.js';
import { analysisFigures } from './analysis-figures.js';
import { provisionFigures } from './provision-figures.js';
import { mediaFigures } from './media-figures.js';
import { freshFigures } from './fresh-figures.js';
import { flashFigures } from './flash-figures.js';
import { roomFigures } from './room-figures.js';
import { districtFigures } from './district-figures.js';
import { rolloutFigures } from './rollout-figures.js';

export interface FigureGroup {
  /** The figures this group produces; `npm run bench -- NAME` runs the groups that produce NAME. */
  figures: string[];
  /** Figures for which 0 is a real answer (records lost); every other figure must be greater than 0 (guard.ts). */
  mayBeZero?: string[];
  run(): Promise<Record<string, number>>;
}

const STORE_OPTS = { synchronous: 'FULL', groupCommitMaxDelayMs: 2, groupCommitMaxRows: 5000 } as const;
const CLIENTS = 20;
const LOAD = { window: 100, warmupMs: 1500, measureMs: 6000 };

async function bareBroker(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'test', 'bench', 'bare-broker.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.on('data', (d: Buffer) => resolve(Number(/listening (\d+)/.exec(d.toString())?.[1]))),
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const ingest: FigureGroup = {
  figures: ['ingest_qos1_readings_per_s', 'ingest_raw_broker_msgs_per_s', 'ingest_vs_raw_ratio'],
  async run() {
    const dir = tempDir('classedge-bench-');
    try {
      const seed = Store.open({ dataDir: dir.path, store: STORE_OPTS });
      const clients = [];
      for (let i = 0; i < CLIENTS; i++) {
        const c = await addDevice(seed, { id: `bench-${i}`, kind: 'sensor' }, 'bench');
        clients.push({
          username: c.mqtt.username,
          password: c.mqtt.password,
          topic: `classedge/dev/bench-${i}/reading`,
        });
      }
      seed.close();
      const app = await spawnAppliance(dir.path, ['--log-level', 'warn']);
      let ours;
      try {
        await healthy(app);
        ours = await qos1Load({ url: `mqtt://127.0.0.1:${app.mqttPort}`, clients, ...LOAD });
      } finally {
        app.child.kill('SIGTERM');
        await app.exited;
      }
      // Every acknowledged reading must be a committed row; count them to be sure the figure is honest.
      const check = Store.open({ dataDir: dir.path, store: STORE_OPTS });
      const rows = check.readings.count();
      check.close();
      measured('readings acknowledged by the appliance', ours.acked);
      if (rows < ours.acked) throw new Error(`only ${rows} rows for ${ours.acked} acknowledged readings`);

      const bare = await bareBroker();
      let raw;
      try {
        raw = await qos1Load({ url: bare.url, clients: clients.map((c) => ({ topic: c.topic })), ...LOAD });
      } finally {
        await bare.stop();
      }
      measured('messages acknowledged by the bare broker', raw.acked);
      return {
        ingest_qos1_readings_per_s: Math.round(ours.perSecond),
        ingest_raw_broker_msgs_per_s: Math.round(raw.perSecond),
        ingest_vs_raw_ratio: Math.round(ratio('appliance / bare broker', ours.perSecond, raw.perSecond) * 1000) / 1000,
      };
    } finally {
      dir.cleanup();
    }
  },
};

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round((Number(m?.[1] ?? 0) / 1024) * 10) / 10;
}

const startup: FigureGroup = {
  figures: ['startup_ms', 'idle_rss_mb'],
  async run() {
    const times: number[] = [];
    let rss = 0;
    for (let i = 0; i < 5; i++) {
      const dir = tempDir('classedge-bench-');
      try {
        const t0 = performance.now();
        const app = await spawnAppliance(dir.path, ['--log-level', 'warn']);
        await healthy(app, 30_000);
        times.push(performance.now() - t0);
        if (i === 0) {
          await new Promise((r) => setTimeout(r, 5000));
          rss = rssMb(app.child.pid ?? 0);
        }
        app.child.kill('SIGTERM');
        await app.exited;
      } finally {
        dir.cleanup();
      }
    }
    return {
      startup_ms: Math.round(median('start times', times)),
      idle_rss_mb: measured('resident memory of the idle appliance', rss),
    };
  },
};

/** Every benchmark group. Later issues add theirs here. */
export const figureGroups: FigureGroup[] = [
  startup,
  ingest,
  ...kioskFigures,
  ...environmentFigures,
  ...displayFigures,
  ...healthFigures,
  ...syncFigures,
  ...analysisFigures,
  ...provisionFigures,
  ...mediaFigures,
  ...freshFigures,
  flashFigures,
  roomFigures,
  ...districtFigures,
  ...rolloutFigures,
];
