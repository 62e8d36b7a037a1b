import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, machine } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Mediasoup from 'mediasoup';

/**
 * Where the mediasoup worker binary is. scripts/build-mediasoup-worker.sh builds it from Debian's
 * libraries into a cache per mediasoup version and CPU architecture (npm ci wipes node_modules,
 * the cache survives); MEDIASOUP_WORKER_BIN, when set, wins. mediasoup reads that variable when
 * it is first imported, so this runs before the import.
 */
export function mediasoupVersion(): string {
  // Its package.json is not in its "exports": walk up from the entry point.
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('mediasoup'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'mediasoup') return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('mediasoup package.json not found');
    dir = up;
  }
}

export function cachedWorkerPath(version = mediasoupVersion()): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  // `uname -m` spelling (x86_64, aarch64), as the build script names the directory.
  return join(cache, 'classedge', 'mediasoup-worker', `${version}-${machine()}`, 'mediasoup-worker');
}

export function workerBinPath(): string {
  return process.env.MEDIASOUP_WORKER_BIN || cachedWorkerPath();
}

export type WorkerBinState =
  | { ok: true; path: string; version: string; bytes: number }
  | { ok: false; path: string; version: string; problem: string };

/** Is the worker there and executable? (doctor, and the media component before it starts.) */
export function checkWorkerBin(): WorkerBinState {
  const path = workerBinPath();
  let version: string;
  try {
    version = mediasoupVersion();
  } catch {
    return { ok: false, path, version: '?', problem: 'the mediasoup package is not installed; run npm install' };
  }
  try {
    accessSync(path, constants.X_OK);
    return { ok: true, path, version, bytes: statSync(path).size };
  } catch {
    return {
      ok: false,
      path,
      version,
      problem: `no executable mediasoup worker at ${path}; build it with: bash scripts/build-mediasoup-worker.sh`,
    };
  }
}

/** scripts/build-mediasoup-worker.sh writes these beside the binary while it builds. */
export const BUILD_PROGRESS_FILE = 'build-progress.json';
export const BUILD_LOG_FILE = 'build.log';
/** A real progress file is about 100 bytes (a failure message up to ~500): larger is not one. */
const MAX_PROGRESS_BYTES = 4096;

export const BUILD_STAGES = ['packages', 'configure', 'compile', 'done', 'failed'] as const;
export type BuildStage = (typeof BUILD_STAGES)[number];

/** One snapshot of the worker build, percent over the whole build (it only grows until done). */
export interface BuildProgress {
  stage: BuildStage;
  percent: number;
  /** The build script's process: a build whose process is gone was interrupted. */
  pid: number;
  updatedAt: string;
  message?: string;
}

/** The progress file's text, checked field by field; undefined when it is not a progress file. */
export function parseBuildProgress(text: string): BuildProgress | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { stage, percent, pid, updatedAt, message } = o;
  if (typeof stage !== 'string' || !(BUILD_STAGES as readonly string[]).includes(stage)) return undefined;
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) return undefined;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof updatedAt !== 'string' || Number.isNaN(Date.parse(updatedAt))) return undefined;
  if (message !== undefined && typeof message !== 'string') return undefined;
  return {
    stage: stage as BuildStage,
    percent: Math.round(percent),
    pid,
    updatedAt,
    ...(message !== undefined ? { message } : {}),
  };
}

export type ProgressRead =
  { kind: 'none' } | { kind: 'unknown'; problem: string } | { kind: 'ok'; progress: BuildProgress };

/** The progress file beside `bin`, read without trusting it: garbage is 'unknown', never a throw. */
export function readBuildProgress(bin = workerBinPath()): ProgressRead {
  const file = join(dirname(bin), BUILD_PROGRESS_FILE);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unknown', problem: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const buf = Buffer.alloc(MAX_PROGRESS_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_PROGRESS_BYTES) return { kind: 'unknown', problem: `${file}: larger than ${MAX_PROGRESS_BYTES} bytes` };
    const progress = parseBuildProgress(buf.subarray(0, n).toString('utf8'));
    return progress ? { kind: 'ok', progress } : { kind: 'unknown', problem: `${file}: not a build progress file` };
  } catch (err) {
    return { kind: 'unknown', problem: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    closeSync(fd);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Can remote lessons start, and if not, why: the binary (checkWorkerBin) and the build's progress
 * file taken together. A build under way wins over an old binary (a rebuild replaces it); a
 * progress file left by a build that died says nothing any more.
 */
export type WorkerReadiness =
  | { state: 'ready'; bin: Extract<WorkerBinState, { ok: true }> }
  | { state: 'building'; path: string; stage: BuildStage; percent: number; pid: number }
  /** `message` names the log. */
  | { state: 'failed'; path: string; message: string; log: string }
  | { state: 'missing'; path: string; problem: string }
  /** Nothing to wait for: the mediasoup package itself is not installed. */
  | { state: 'unavailable'; path: string; problem: string };

export function workerReadiness(): WorkerReadiness {
  const bin = checkWorkerBin();
  if (!bin.ok && bin.version === '?') return { state: 'unavailable', path: bin.path, problem: bin.problem };
  const read = readBuildProgress(bin.path);
  const p = read.kind === 'ok' ? read.progress : undefined;
  if (p && p.stage !== 'done' && p.stage !== 'failed' && processAlive(p.pid)) {
    return { state: 'building', path: bin.path, stage: p.stage, percent: p.percent, pid: p.pid };
  }
  if (bin.ok) return { state: 'ready', bin };
  const log = join(dirname(bin.path), BUILD_LOG_FILE);
  if (p?.stage === 'failed') {
    const message = p.message ?? 'the media worker build failed';
    return {
      state: 'failed',
      path: bin.path,
      message: message.includes(log) ? message : `${message} (log: ${log})`,
      log,
    };
  }
  if (p && p.stage !== 'done')
    return {
      state: 'missing',
      path: bin.path,
      problem: `${bin.problem} (a build was interrupted in stage ${p.stage}; its log: ${log})`,
    };
  return { state: 'missing', path: bin.path, problem: bin.problem };
}

/** What the media component, doctor and the kiosk say while the worker builds. */
export function preparingDetail(percent: number): string {
  return `remote lessons are being prepared: building the media worker (${percent} %)`;
}

/** Set MEDIASOUP_WORKER_BIN (if unset) and import mediasoup. */
export async function loadMediasoup(): Promise<typeof Mediasoup> {
  process.env.MEDIASOUP_WORKER_BIN ||= cachedWorkerPath();
  return import('mediasoup');
}
