import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { DB_FILE, backupFile, schemaVersionOfFile } from '../store/db.js';
import { verifyBundle } from './bundle.js';
import { getLocal } from '../runtime/local-probe.js';

/**
 * Install beside, switch, prove, or roll back. The software lives in `<root>/versions/<v>/` and the
 * service runs `<root>/current` (a symlink switched atomically by rename). Every step is recorded in
 * `<root>/update-state.json` before it is taken, so that a power cut anywhere leaves a state that
 * `recover` (run first by every update, and by the service's ExecStartPre) turns back into the
 * last version known to be healthy.
 *
 * The database: the new version migrates it when it starts. An online backup taken before the
 * switch is put back on rollback if (and only if) the schema version changed, so the old software
 * never meets a schema it does not know; data written during the trial is kept when the schema did
 * not change.
 */
export type Phase = 'installed' | 'backed-up' | 'stopping' | 'switched' | 'started' | 'rolling-back';
export interface UpdateState {
  phase: Phase;
  from: string;
  to: string;
  backup: string;
  at: number;
}

export interface UpdateOptions {
  root: string;
  dataDir: string;
  /** Shell commands that stop and start the service (default: systemctl stop/start classedge). */
  stopCommand: string;
  startCommand: string;
  healthUrl: string;
  healthTimeoutMs: number;
  /** Progress, one line per step (what a technician sees, and what the tests wait for). */
  log: (line: string) => void;
  /** Install an older version than the running one (a deliberate, audited step back). */
  allowDowngrade?: boolean;
}

/** Compare dotted numeric versions (1.10.0 > 1.9.2); a non-numeric part compares as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const stateFile = (root: string): string => join(root, 'update-state.json');
const current = (root: string): string => join(root, 'current');

function writeState(root: string, s: UpdateState | undefined): void {
  if (!s) return void rmSync(stateFile(root), { force: true });
  const tmp = `${stateFile(root)}.tmp`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, stateFile(root));
}

export function readState(root: string): UpdateState | undefined {
  return existsSync(stateFile(root)) ? (JSON.parse(readFileSync(stateFile(root), 'utf8')) as UpdateState) : undefined;
}

/** The version `current` points at (its directory name under versions/). */
export function currentVersion(root: string): string | undefined {
  return existsSync(current(root)) ? basename(readlinkSync(current(root))) : undefined;
}

/** Point `current` at a version: a new symlink renamed over the old one, atomic on POSIX. */
function switchTo(root: string, version: string): void {
  const tmp = join(root, `.current-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(join('versions', version), tmp);
  renameSync(tmp, current(root));
}

function sh(cmd: string, what: string): void {
  const r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${what} (${cmd}) failed: ${r.stderr.toString().trim() || `exit ${String(r.status)}`}`);
}

async function healthyWithin(url: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      // Over HTTPS (http.tls) the box's certificate may be self-signed, which fetch refuses.
      const status = url.startsWith('https:')
        ? (await getLocal(url, 2000)).status
        : (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
      if (status === 200) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Put the pre-update database back when the trial version changed its schema (the service is stopped). */
function restoreDatabase(o: UpdateOptions, backup: string): boolean {
  const live = join(o.dataDir, DB_FILE);
  if (!existsSync(backup) || !existsSync(live) || schemaVersionOfFile(live) === schemaVersionOfFile(backup))
    return false;
  const tmp = `${live}.rollback`;
  copyFileSync(backup, tmp);
  for (const f of [`${live}-wal`, `${live}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, live);
  return true;
}

async function rollBack(o: UpdateOptions, s: UpdateState, why: string): Promise<void> {
  o.log(`step rolling-back: ${why}`);
  writeState(o.root, { ...s, phase: 'rolling-back', at: Date.now() });
  sh(o.stopCommand, 'stopping the service');
  switchTo(o.root, s.from);
  if (restoreDatabase(o, s.backup))
    o.log('step database-restored: the schema had changed; the pre-update backup is back');
  sh(o.startCommand, 'starting the service');
  if (!(await healthyWithin(o.healthUrl, o.healthTimeoutMs)))
    throw new Error(`rolled back to ${s.from}, but it is not healthy either: see journalctl -u classedge`);
  writeState(o.root, undefined);
  o.log(`step rolled-back: ${s.from} serves again`);
}

/** Finish or undo an update a power cut interrupted. Returns what it did. */
export async function recover(o: UpdateOptions): Promise<string> {
  const s = readState(o.root);
  if (!s) return 'nothing to recover';
  if (s.phase === 'installed' || s.phase === 'backed-up' || s.phase === 'stopping') {
    // `current` was never switched: the old version only needs to be running.
    switchTo(o.root, s.from);
    sh(o.startCommand, 'starting the service');
    writeState(o.root, undefined);
    return `update to ${s.to} abandoned before the switch; ${s.from} runs`;
  }
  // Switched but never proven healthy (or mid-rollback): back to the version that was.
  await rollBack(o, s, `update to ${s.to} was interrupted before it proved healthy`);
  return `rolled back to ${s.from}`;
}

/** Verify, install beside, back up, switch, start, prove healthy; else roll back. */
export async function applyUpdate(
  file: string,
  districtPublicKeyPem: string,
  o: UpdateOptions,
): Promise<{ from: string; to: string; result: 'updated' | 'rolled-back' | 'already-current' }> {
  const { manifest, payload } = verifyBundle(file, districtPublicKeyPem);
  o.log(`step verified: ${manifest.version}, signed by the district`);
  const recovered = await recover(o);
  if (recovered !== 'nothing to recover') o.log(`step recovered: ${recovered}`);
  const from = currentVersion(o.root);
  if (!from)
    throw new Error(`${current(o.root)} does not exist: install the first version as docs/provisioning.md shows`);
  const to = manifest.version;
  if (from === to) return { from, to, result: 'already-current' };
  // An old bundle the district once signed (perhaps with a known hole) must not be replayed.
  if (compareVersions(to, from) < 0 && !o.allowDowngrade)
    throw new Error(
      `the bundle is version ${to}, older than the running ${from}; refused (use --allow-downgrade to step back on purpose)`,
    );

  // Install beside: unpack into a temp directory, then rename into versions/<v> (never half there).
  const dir = join(o.root, 'versions', to);
  // A directory left from an earlier try is not trusted: the verified payload is unpacked afresh.
  if (existsSync(dir) && currentVersion(o.root) !== to) rmSync(dir, { recursive: true, force: true });
  if (!existsSync(dir)) {
    const tmp = join(o.root, 'versions', `.${to}.partial-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const tar = spawnSync('tar', ['-xzf', '-', '-C', tmp, '--no-same-owner'], { input: payload });
    if (tar.status !== 0) throw new Error(`unpacking failed: ${tar.stderr.toString()}`);
    if (!existsSync(join(tmp, 'bin', 'classedge.js')))
      throw new Error('the bundle holds no bin/classedge.js: not a ClassEdge install tree');
    renameSync(tmp, dir);
  }
  const backup = join(o.dataDir, `pre-update-${from}.db`);
  const s: UpdateState = { phase: 'installed', from, to, backup, at: Date.now() };
  writeState(o.root, s);
  o.log(`step installed: ${dir}`);

  // Online backup of the database while the old version still runs.
  const live = join(o.dataDir, DB_FILE);
  if (existsSync(live)) {
    await backupFile(live, `${backup}.tmp`);
    renameSync(`${backup}.tmp`, backup);
  }
  writeState(o.root, { ...s, phase: 'backed-up' });
  o.log(`step backed-up: ${backup}`);

  writeState(o.root, { ...s, phase: 'stopping' });
  sh(o.stopCommand, 'stopping the service');
  o.log(`step stopped: ${from}`);
  writeState(o.root, { ...s, phase: 'switched' });
  switchTo(o.root, to);
  o.log(`step switched: current -> versions/${to}`);
  try {
    sh(o.startCommand, 'starting the service');
    writeState(o.root, { ...s, phase: 'started' });
    o.log(`step started: waiting up to ${Math.round(o.healthTimeoutMs / 1000)} s for health`);
    if (!(await healthyWithin(o.healthUrl, o.healthTimeoutMs)))
      throw new Error(`${to} was not healthy within ${Math.round(o.healthTimeoutMs / 1000)} s`);
  } catch (err) {
    await rollBack(o, { ...s, phase: 'started' }, (err as Error).message);
    return { from, to, result: 'rolled-back' };
  }
  writeState(o.root, undefined);
  o.log(`step healthy: ${to} serves`);
  return { from, to, result: 'updated' };
}
