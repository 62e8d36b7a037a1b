import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, machine } from 'node:os';
import { dirname, join } from 'node:path';

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

export type WorkerBinState = { ok: true; path: string; version: string; bytes: number } | { ok: false; path: string; version: string; problem: string };

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
    return { ok: false, path, version, problem: `no executable mediasoup worker at ${path}; build it with: bash scripts/build-mediasoup-worker.sh` };
  }
}

/** Set MEDIASOUP_WORKER_BIN (if unset) and import mediasoup. */
export async function loadMediasoup(): Promise<typeof import('mediasoup')> {
  process.env.MEDIASOUP_WORKER_BIN ||= cachedWorkerPath();
  return import('mediasoup');
}
