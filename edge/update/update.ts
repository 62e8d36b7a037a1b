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
import { DB_FILE, backupFile, schemaVersionOfFile, withDbFile } from '../store/db.js';
import { MetaRepo } from '../store/repos/meta.js';
import type { Config } from '../config/schema.js';
import { ClassEdgeError, errorMessage } from '../errors.js';
import { checkManifest, verifyBundle } from './bundle.js';
import { compareVersions, isVersion } from './semver.js';
import { purgeDatabaseCopies } from './copies.js';
import { getLocal } from '../runtime/local-probe.js';

export { compareVersions } from './semver.js';

/**
 * Install beside, stop, back up, switch, prove, or roll back. The software lives in
 * `<root>/versions/<v>/` and the service runs `<root>/current` (a symlink switched atomically by
 * rename). Every step is recorded in `<root>/update-state.json` before it is taken, so that a power
 * cut anywhere leaves a state that `recover` (run first by every update, and by the service's
 * ExecStartPre) turns back into the last version known to be healthy. A step that fails before the
 * switch (stopping, backing up) is recovered at once the same way: the old version runs again.
 *
 * The database: the new version migrates it when it starts. A backup taken once the old version has
 * stopped (so nothing it writes while shutting down is missing from it) is put back on rollback if
 * (and only if) the schema version changed, so the old software never meets a schema it does not
 * know; data written during the trial is kept when the schema did not change.
 *
 * Versions only go up: the highest version ever proven healthy here is kept as a floor (in
 * `<root>/installed-floor` and in the database, which backups carry to a replacement box), and a
 * bundle below it or below the running version is refused unless `allowDowngrade`.
 */
export type Phase = 'installed' | 'stopping' | 'stopped' | 'backed-up' | 'switched' | 'started' | 'rolling-back';
export interface UpdateState {
  phase: Phase;
  from: string;
  to: string;
  backup: string;
  at: number;
}

export interface UpdateOptions {
  root: string;
  /** The appliance's configuration: its data directory, `update.channel`, retention of the copies. */
  config: Config;
  /** The appliance id the district enrolled (a bundle may be signed for some appliances only). */
  applianceId: string;
  /** Shell commands that stop and start the service (default: systemctl stop/start classedge). */
  stopCommand: string;
  startCommand: string;
  healthUrl: string;
  healthTimeoutMs: number;
  /** Progress, one line per step (what a technician sees, and what the tests wait for). */
  log: (line: string) => void;
  /** Install an older version than the running one (a deliberate, audited step back). */
  allowDowngrade?: boolean;
  /** The clock a manifest's expiry is checked against. */
  now?: () => number;
}

/** An update undone before the switch; the old version runs (the message says so). */
export class UpdateError extends ClassEdgeError {
  constructor(message: string) {
    super('update_failed', message);
  }
}

/** A bundle refused before anything changed (older than the floor). */
export class UpdateRefused extends ClassEdgeError {
  constructor(message: string) {
    super('update_refused', message);
  }
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

const floorFile = (root: string): string => join(root, 'installed-floor');
const liveDb = (o: UpdateOptions): string => join(o.config.dataDir, DB_FILE);

const highest = (vs: (string | undefined)[]): string | undefined =>
  vs
    .filter(isVersion)
    .reduce<string | undefined>((m, v) => (m === undefined || compareVersions(v, m) > 0 ? v : m), undefined);

function floorInDb(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return withDbFile(file, (db) => new MetaRepo(db).get('update-floor'), true);
  } catch {
    // A database without the meta table yet (never started) holds no floor.
    return undefined;
  }
}

/** The "installed at least" floor: the higher of the install root's and the database's. */
export function installedFloor(root: string, dataDir: string): string | undefined {
  const file = floorFile(root);
  return highest([existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined, floorInDb(join(dataDir, DB_FILE))]);
}

/** Raise the floor to `version` in both places (never lower it). */
function raiseFloor(o: UpdateOptions, version: string): void {
  const floor = highest([installedFloor(o.root, o.config.dataDir), version]) ?? version;
  const tmp = `${floorFile(o.root)}.tmp`;
  writeFileSync(tmp, `${floor}\n`);
  renameSync(tmp, floorFile(o.root));
  if (existsSync(liveDb(o))) withDbFile(liveDb(o), (db) => new MetaRepo(db).set('update-floor', floor));
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
  const live = liveDb(o);
  if (!existsSync(backup) || !existsSync(live) || schemaVersionOfFile(live) === schemaVersionOfFile(backup))
    return false;
  const tmp = `${live}.rollback`;
  copyFileSync(backup, tmp);
  for (const f of [`${live}-wal`, `${live}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, live);
  return true;
}

const ROLLBACK_HEALTH_MS = 60_000;

async function rollBack(o: UpdateOptions, s: UpdateState, why: string): Promise<void> {
  o.log(`step rolling-back: ${why}`);
  writeState(o.root, { ...s, phase: 'rolling-back', at: Date.now() });
  sh(o.stopCommand, 'stopping the service');
  switchTo(o.root, s.from);
  if (restoreDatabase(o, s.backup))
    o.log('step database-restored: the schema had changed; the pre-update backup is back');
  sh(o.startCommand, 'starting the service');
  // The version rolled back to was healthy before: it gets at least a minute (a short --timeout is
  // for the trial version, and a loaded box may take longer than that to start).
  if (!(await healthyWithin(o.healthUrl, Math.max(o.healthTimeoutMs, ROLLBACK_HEALTH_MS))))
    throw new Error(`rolled back to ${s.from}, but it is not healthy either: see journalctl -u classedge`);
  writeState(o.root, undefined);
  o.log(`step rolled-back: ${s.from} serves again`);
}

/** Before the switch `current` still points at the old version: it only needs to be running again. */
function resumeOld(o: UpdateOptions, s: UpdateState): void {
  switchTo(o.root, s.from);
  rmSync(`${s.backup}.tmp`, { force: true, recursive: true });
  sh(o.startCommand, 'starting the service');
  writeState(o.root, undefined);
}

const BEFORE_SWITCH: readonly Phase[] = ['installed', 'stopping', 'stopped', 'backed-up'];

/** Finish or undo an update a power cut interrupted. Returns what it did. */
export async function recover(o: UpdateOptions): Promise<string> {
  const s = readState(o.root);
  if (!s) return 'nothing to recover';
  if (BEFORE_SWITCH.includes(s.phase)) {
    resumeOld(o, s);
    return `update to ${s.to} abandoned before the switch; ${s.from} runs`;
  }
  // Switched but never proven healthy (or mid-rollback): back to the version that was.
  await rollBack(o, s, `update to ${s.to} was interrupted before it proved healthy`);
  return `rolled back to ${s.from}`;
}

/**
 * A step before the switch failed: start the old version again at once (not at the next boot), and
 * say what failed and that the old version runs.
 */
function recoverBeforeSwitch(o: UpdateOptions, s: UpdateState, err: unknown): never {
  o.log(`step recovering: ${errorMessage(err)}`);
  try {
    resumeOld(o, s);
  } catch (again) {
    throw new UpdateError(
      `update to ${s.to} failed before the switch (${errorMessage(err)}), and starting ${s.from} again failed too (${errorMessage(again)}): run classedge update --recover`,
    );
  }
  o.log(`step recovered: ${s.from} runs`);
  throw new UpdateError(`update to ${s.to} failed before the switch: ${errorMessage(err)}; ${s.from} runs again`);
}

/** Verify, install beside, stop, back up, switch, start, prove healthy; else roll back. */
export async function applyUpdate(
  file: string,
  districtPublicKeyPem: string,
  o: UpdateOptions,
): Promise<{ from: string; to: string; result: 'updated' | 'rolled-back' | 'already-current' }> {
  const { manifest, payload } = verifyBundle(file, districtPublicKeyPem);
  checkManifest(manifest, {
    channel: o.config.update.channel,
    applianceId: o.applianceId,
    now: (o.now ?? Date.now)(),
  });
  o.log(
    `step verified: ${manifest.version} (${manifest.channel}, until ${manifest.expiresAt}), signed by the district`,
  );
  const recovered = await recover(o);
  if (recovered !== 'nothing to recover') o.log(`step recovered: ${recovered}`);
  const from = currentVersion(o.root);
  if (!from)
    throw new Error(`${current(o.root)} does not exist: install the first version as docs/provisioning.md shows`);
  const to = manifest.version;
  if (from === to) return { from, to, result: 'already-current' };
  // An old bundle the district once signed (perhaps with a known hole) must not be replayed: not
  // below the running version, nor below the highest version ever proven healthy here.
  const floor = highest([from, installedFloor(o.root, o.config.dataDir)]) ?? from;
  if (compareVersions(to, floor) < 0 && !o.allowDowngrade)
    throw new UpdateRefused(
      floor === from
        ? `the bundle is version ${to}, older than the running ${from}; refused (use --allow-downgrade to step back on purpose)`
        : `the bundle is version ${to}, older than ${floor}, which this appliance (or the one whose backup it was restored from) has run; refused (use --allow-downgrade to step back on purpose)`,
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
  const backup = join(o.config.dataDir, `pre-update-${from}.db`);
  const s: UpdateState = { phase: 'installed', from, to, backup, at: Date.now() };
  writeState(o.root, s);
  o.log(`step installed: ${dir}`);

  try {
    writeState(o.root, { ...s, phase: 'stopping' });
    sh(o.stopCommand, 'stopping the service');
    writeState(o.root, { ...s, phase: 'stopped' });
    o.log(`step stopped: ${from}`);
    // The backup comes after the stop: what the old version wrote while shutting down is in it.
    const live = liveDb(o);
    if (existsSync(live)) {
      await backupFile(live, `${backup}.tmp`);
      renameSync(`${backup}.tmp`, backup);
    }
    writeState(o.root, { ...s, phase: 'backed-up' });
    o.log(`step backed-up: ${backup}`);
  } catch (err) {
    recoverBeforeSwitch(o, s, err);
  }

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
    pruneCopies(o);
    return { from, to, result: 'rolled-back' };
  }
  writeState(o.root, undefined);
  o.log(`step healthy: ${to} serves`);
  try {
    raiseFloor(o, highest([from, to]) ?? to);
  } catch (err) {
    // The update itself succeeded; the next one raises the floor again.
    o.log(`step floor-not-recorded: ${errorMessage(err)}`);
  }
  pruneCopies(o);
  return { from, to, result: 'updated' };
}

/** Once the update is settled, pre-update copies beyond `update.keepPreUpdateCopies` or their data's retention go. */
function pruneCopies(o: UpdateOptions): void {
  const { removed } = purgeDatabaseCopies(o.config);
  if (removed.length > 0) o.log(`step pruned: ${removed.join(', ')}`);
}
