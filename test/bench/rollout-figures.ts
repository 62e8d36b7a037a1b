import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import {
  BUNDLE_HEADERS,
  REQUEST_KINDS,
  bundleSigningExtra,
  heartbeatSigningExtra,
  requestSigningString,
  type FleetUpdateReport,
  type HeartbeatStatus,
  type UpdateOffer,
} from '../../cloud-sync/protocol.js';
import { parseConfig } from '../../edge/config/load.js';
import { newKeyPair, privateKeyFrom, signText } from '../../edge/security/signing.js';
import { getToFile } from '../../edge/sync/http-client.js';
import { makeBundle } from '../../edge/update/bundle.js';
import { ROOT, freePort, tempDir } from '../helpers/env.js';
import { startPostgres } from '../helpers/postgres.js';
import { run } from '../helpers/run.js';
import { goodTree } from '../helpers/update-bench.js';
import type { FigureGroup } from './figures.js';
import { measured } from './guard.js';

const RING = 1000;
/** An incompressible payload: the bench's bundle is this size (a real install tree is larger; docs/benchmarks.md). */
const BUNDLE_MIB = 8;
/**
 * The simulated install (stop, switch, start, health check): a stated length, since it happens on
 * the appliance and asks nothing of the district.
 */
const INSTALL_S = 30;
const DISTRICT_CLI = join(ROOT, 'bin', 'classedge-district.js');

interface SimStats {
  downloads: number;
  peakDownloads: number;
  heartbeats: number;
  failures: string[];
}

/**
 * One appliance as the district sees it: a key, heartbeats on the product's interval with the fleet
 * update report, the signed ranged download at the product's bandwidth cap, and an install of a
 * stated length. It speaks the real wire protocol; the bytes go nowhere (`/dev/null`).
 */
class SimAppliance {
  #report: FleetUpdateReport | undefined;
  #working = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly id: string,
    private readonly key: ReturnType<typeof privateKeyFrom>,
    private readonly url: string,
    private readonly o: { heartbeatS: number; kbps: number; timeoutMs: number },
    private readonly stats: SimStats,
  ) {}

  /** The first heartbeat after `phaseMs`: a running fleet's heartbeats are spread over the interval. */
  start(phaseMs: number): void {
    this.#timer = setTimeout(() => void this.#beat(), phaseMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #beat(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    try {
      const offer = await this.#heartbeat();
      if (offer && !this.#working && this.#report?.rolloutId !== offer.rolloutId) void this.#update(offer);
    } catch (err) {
      this.stats.failures.push(`${this.id} heartbeat: ${String(err)}`);
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#beat(), this.o.heartbeatS * 1000);
  }

  /** One heartbeat now, outside the schedule (the heartbeat-rate phase). */
  heartbeatOnce(): Promise<UpdateOffer | undefined> {
    return this.#heartbeat();
  }

  async #heartbeat(): Promise<UpdateOffer | undefined> {
    const status: HeartbeatStatus = {
      sentAt: Date.now(),
      version: this.#report?.state === 'installed' ? '2.0.0' : '1.0.0',
      uptimeS: 1,
      components: [],
      disk: { freeBytes: 1, totalBytes: 2 },
      flash: {},
      streams: {},
      configVersion: 0,
      ...(this.#report ? { update: this.#report } : {}),
    };
    const nonce = randomBytes(12).toString('hex');
    const text = requestSigningString(REQUEST_KINDS.heartbeat, this.id, nonce, heartbeatSigningExtra(status));
    const r = await fetch(`${this.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ applianceId: this.id, nonce, signature: signText(text, this.key), status }),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const json = (await r.json()) as { offer?: UpdateOffer };
    if (r.status !== 200) throw new Error(`HTTP ${r.status} ${JSON.stringify(json)}`);
    this.stats.heartbeats++;
    return json.offer;
  }

  /** As edge/update/fleet.ts does: download, ask for the install, report the outcome; each change heartbeats. */
  async #update(offer: UpdateOffer): Promise<void> {
    this.#working = true;
    const at = (state: FleetUpdateReport['state']): FleetUpdateReport => ({
      rolloutId: offer.rolloutId,
      sha256: offer.sha256,
      state,
      ...(state === 'installed' ? { version: offer.version } : {}),
    });
    try {
      this.#report = at('downloading');
      this.stats.downloads++;
      this.stats.peakDownloads = Math.max(this.stats.peakDownloads, this.stats.downloads);
      let got = 0;
      try {
        // Resumed from what arrived, as the appliance's `.part` file is, when a connection breaks.
        for (let attempt = 0; got < offer.size && attempt < 5; attempt++) {
          const range = got > 0 ? `bytes=${got}-` : '';
          const nonce = randomBytes(12).toString('hex');
          const text = requestSigningString(
            REQUEST_KINDS.bundle,
            this.id,
            nonce,
            bundleSigningExtra(offer.sha256, range),
          );
          const r = await getToFile(
            new URL(offer.path, this.url),
            {
              [BUNDLE_HEADERS.appliance]: this.id,
              [BUNDLE_HEADERS.nonce]: nonce,
              [BUNDLE_HEADERS.signature]: signText(text, this.key),
              ...(range ? { range } : {}),
            },
            '/dev/null',
            { offset: got, maxBytes: offer.size, kbps: this.o.kbps, timeoutMs: this.o.timeoutMs, allowPlainHttp: true },
          ).catch((err: unknown) => ({ status: 0, received: 0, error: String(err) }));
          if (r.status !== 200 && r.status !== 206) this.stats.failures.push(`${this.id} download: ${r.error}`);
          got += r.received;
        }
      } finally {
        this.stats.downloads--;
      }
      if (got !== offer.size) throw new Error(`downloaded ${got} of ${offer.size} bytes`);
      this.#report = at('installing');
      await this.#beat();
      await new Promise((r) => setTimeout(r, INSTALL_S * 1000));
      this.#report = at('installed');
      await this.#beat();
    } catch (err) {
      this.stats.failures.push(`${this.id} update: ${String(err)}`);
    } finally {
      this.#working = false;
    }
  }
}

/** User and system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Heartbeats the receiver answers per second, `rounds` from each appliance with `inFlight` at once. */
async function heartbeatRate(sims: SimAppliance[], rounds: number, inFlight: number): Promise<number> {
  const total = sims.length * rounds;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await sims[next++ % sims.length]?.heartbeatOnce();
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function startReceiver(database: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DISTRICT_CLI, 'serve', '--database', database, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve());
  });
  child.stdout?.resume();
  return child;
}

/**
 * `rollout_minutes_1000`: a rollout to a ring of 1 000 appliances, from `rollout create` until the
 * last outcome is reported, against a real receiver process on a real PostgreSQL. The appliances
 * use the product's defaults (`sync.heartbeatSeconds`, `update.downloadKbps`) and are simulated:
 * signed heartbeats spread over the interval, signed ranged downloads under the cap, an install of
 * INSTALL_S. The ring's size is what is measured: the district offers, serves and counts for all of
 * them at once.
 */
const rollout1000: FigureGroup = {
  figures: [
    'district_heartbeats_per_s',
    'rollout_minutes_1000',
    'rollout_peak_downloads',
    'rollout_receiver_cpu_share',
    'rollout_receiver_rss_mb',
  ],
  async run() {
    const defaults = parseConfig('', '(defaults)');
    const heartbeatS = defaults.sync.heartbeatSeconds;
    const kbps = defaults.update.downloadKbps;
    const pg = await startPostgres();
    const dir = tempDir('classedge-bench-rollout-');
    const r = new DistrictReceiver({ databaseUrl: pg.url });
    const sims: SimAppliance[] = [];
    let receiver: ChildProcess | undefined;
    try {
      await r.migrate();
      const keys = Array.from({ length: RING }, () => newKeyPair());
      await r.pool.query(
        `INSERT INTO appliances (id, public_key, school) SELECT 'room-' || i, k, 'bench' FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i)`,
        [keys.map((k) => k.publicKeyPem)],
      );
      const tree = join(dir.path, 'tree');
      goodTree(tree, '2.0.0', join(dir.path, 'marker'));
      writeFileSync(join(tree, 'payload.bin'), randomBytes(BUNDLE_MIB * 1024 * 1024));
      const bundle = join(dir.path, 'b.update');
      makeBundle(tree, { version: '2.0.0' }, await r.signingKey(), bundle);

      const port = await freePort();
      receiver = await startReceiver(pg.url, port);
      const pid = receiver.pid as number;
      const url = `http://127.0.0.1:${port}`;
      const stats: SimStats = { downloads: 0, peakDownloads: 0, heartbeats: 0, failures: [] };
      const o = { heartbeatS, kbps, timeoutMs: defaults.sync.timeoutMs };
      keys.forEach((k, i) =>
        sims.push(new SimAppliance(`room-${i + 1}`, privateKeyFrom(k.privateKeyPem), url, o, stats)),
      );

      // How many heartbeats one receiver answers (each also asks for an offer): 5 from each, 64 at once.
      await heartbeatRate(sims.slice(0, 100), 1, 16);
      const rate = await heartbeatRate(sims, 5, 64);

      const created = await run(process.execPath, [
        DISTRICT_CLI,
        'rollout',
        'create',
        '--bundle',
        bundle,
        '--ring',
        'school:bench',
        '--window',
        'any',
        '--database',
        pg.url,
      ]);
      if (created.code !== 0) throw new Error(`rollout create: ${created.err}`);
      const t0 = performance.now();
      const cpu0 = cpuSeconds(pid);
      sims.forEach((s, i) => s.start((i / RING) * heartbeatS * 1000));

      // `kbps` is kilobits per second (getToFile: bits / kbps = milliseconds).
      const downloadS = kbps > 0 ? (BUNDLE_MIB * 1024 * 1024 * 8) / (kbps * 1000) : 0;
      const deadline = t0 + (heartbeatS + 180 + downloadS * 4 + INSTALL_S * 4) * 1000;
      for (;;) {
        const [row] = await r.rollouts.rollouts(1);
        if (row?.state === 'done') break;
        if (row?.state === 'halted') throw new Error(`the rollout halted: ${row.reason}`);
        if (performance.now() > deadline)
          throw new Error(
            `the rollout did not finish: ${JSON.stringify(row?.counts)}; ${stats.failures.slice(0, 3).join('; ')}`,
          );
        await new Promise((res) => setTimeout(res, 1000));
      }
      const minutes = (performance.now() - t0) / 60_000;
      const cpuShare = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
      const [row] = await r.rollouts.rollouts(1);
      measured('appliances that installed', row?.counts.installed ?? 0);
      if (row?.counts.installed !== RING) throw new Error(`installed: ${JSON.stringify(row?.counts)}`);
      if (stats.failures.length > 0)
        process.stderr.write(`rollout bench: ${stats.failures.length} failures, e.g. ${stats.failures[0]}\n`);
      process.stderr.write(
        `rollout bench: heartbeat ${heartbeatS} s, cap ${kbps} kbit/s, bundle ${BUNDLE_MIB} MiB, install ${INSTALL_S} s; ${stats.heartbeats} heartbeats\n`,
      );
      return {
        district_heartbeats_per_s: Math.round(rate),
        rollout_minutes_1000: Math.round(minutes * 10) / 10,
        rollout_peak_downloads: stats.peakDownloads,
        rollout_receiver_cpu_share: Math.round(cpuShare * 100) / 100,
        rollout_receiver_rss_mb: Math.round(rssMb(pid)),
      };
    } finally {
      for (const s of sims) s.stop();
      if (receiver && receiver.exitCode === null) {
        receiver.kill('SIGTERM');
        await new Promise((res) => receiver?.once('exit', res));
      }
      await r.close();
      await pg.stop();
      dir.cleanup();
    }
  },
};

export const rolloutFigures: FigureGroup[] = [rollout1000];
