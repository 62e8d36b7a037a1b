import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  FINAL_UPDATE_STATES,
  FleetUpdateReport as FleetUpdateReportSchema,
  wireCheck,
  type FleetUpdateReport,
  type FleetUpdateState,
  type UpdateOffer,
  type UpdateWindow,
} from '../../cloud-sync/protocol.js';
import type { Config } from '../config/schema.js';
import { lessonAt, lessonsOn, localTime, toMinute } from '../config/timetable.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';

/**
 * Updates pulled by the fleet (docs/fleet-updates.md). The district offers a bundle in a heartbeat
 * answer; this downloads it into `<dataDir>/updates/` (resuming a partial file, under
 * `update.downloadKbps`), checks its SHA-256 against the offer, and, inside the offer's window and
 * outside a lesson, asks for the install: it writes `install-request.json`, which the privileged
 * `classedge update --fleet` (a systemd path unit on the box, `update.installCommand` on a bench)
 * takes, running the same verify/switch/health-check/rollback as a USB update. That process
 * outlives the service it stops and restarts, and writes `install-result.json`; the version that
 * serves afterwards (the new one, or the old one after a rollback) reads it and reports the outcome
 * in its next heartbeat.
 */
export const UPDATES_DIR = 'updates';
const STATE_FILE = 'fleet-update.json';
export const INSTALL_REQUEST = 'install-request.json';
export const INSTALL_RESULT = 'install-result.json';

export const updatesDir = (dataDir: string): string => join(dataDir, UPDATES_DIR);

/** What `classedge update --fleet` is asked to install. */
export interface InstallRequest {
  rolloutId: number;
  sha256: string;
  file: string;
}
/** What it came to. */
export interface InstallResult {
  rolloutId: number;
  sha256: string;
  state: 'installed' | 'rolled-back' | 'failed';
  version?: string;
  detail?: string;
}

/** The fleet update this appliance works on: the offer, and where it stands. */
interface FleetState {
  offer: UpdateOffer;
  state: FleetUpdateState;
  /** The bundle is downloaded and checked (state stays downloading until the install starts). */
  downloaded?: boolean;
  version?: string;
  detail?: string;
}

const checkReport = wireCheck(FleetUpdateReportSchema);

function writeJson(file: string, v: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(v));
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readInstallRequest(dataDir: string): InstallRequest | undefined {
  return readJson<InstallRequest>(join(updatesDir(dataDir), INSTALL_REQUEST));
}

/** Written by the install process as its last step; the request goes (a path unit would start it again). */
export function writeInstallResult(dataDir: string, r: InstallResult): void {
  writeJson(join(updatesDir(dataDir), INSTALL_RESULT), {
    ...r,
    ...(r.detail !== undefined ? { detail: r.detail.slice(0, 300) } : {}),
  });
  rmSync(join(updatesDir(dataDir), INSTALL_REQUEST), { force: true });
}

/**
 * Why an install may not start at `now`, or undefined when it may: a lesson runs (the appliance's
 * timetable), or it is outside the window (local time; `from` after `to` spans midnight).
 */
export function installBlocked(now: number, config: Config, window: UpdateWindow | undefined): string | undefined {
  const local = localTime(now, config.appliance.timezone);
  if (lessonAt(lessonsOn(config.timetable, local.date, local.weekday), local.minute) >= 0) return 'a lesson runs';
  if (!window) return undefined;
  const from = toMinute(window.from);
  const to = toMinute(window.to);
  const m = local.minute;
  const inside = from <= to ? m >= from && m < to : m >= from || m < to;
  return inside ? undefined : `outside the window ${window.from}-${window.to}`;
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

export interface FleetUpdaterOptions {
  config: Config;
  log: Logger;
  /** GET the offer's bundle into `file` from `offset` (the sync agent signs the request). */
  download: (
    offer: UpdateOffer,
    file: string,
    offset: number,
  ) => Promise<{ status: number; received: number; error?: string }>;
  /** Where it stands changed: the agent sends a heartbeat soon. */
  changed: () => void;
  now?: () => number;
}

const POLL_MS = 2000;

export class FleetUpdater {
  readonly #o: FleetUpdaterOptions;
  readonly #dir: string;
  #s: FleetState | undefined;
  /** The offer of the last heartbeat answer: an install starts only while the district still offers it. */
  #offered: UpdateOffer | undefined;
  #working: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(o: FleetUpdaterOptions) {
    this.#o = o;
    this.#dir = updatesDir(o.config.dataDir);
    this.#s = readJson<FleetState>(join(this.#dir, STATE_FILE));
  }

  /** Where the last fleet update stands, for the heartbeat. */
  report(): FleetUpdateReport | undefined {
    const s = this.#s;
    if (!s) return undefined;
    const r = checkReport({
      rolloutId: s.offer.rolloutId,
      sha256: s.offer.sha256,
      state: s.state,
      ...(s.version ? { version: s.version.slice(0, 200) } : {}),
      ...(s.detail ? { detail: s.detail.slice(0, 300) } : {}),
    });
    return r.ok ? r.value : undefined;
  }

  /** Start: an install asked for before a restart is waited for. */
  start(): void {
    if (this.#s?.state === 'installing') this.#poll();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    return this.#working ?? Promise.resolve();
  }

  /** A heartbeat answer's offer (or none). */
  offer(offer: UpdateOffer | undefined): void {
    this.#offered = offer;
    const s = this.#s;
    if (offer && (!s || s.offer.rolloutId !== offer.rolloutId) && s?.state !== 'installing') {
      // A new rollout replaces what came before (a halted rollout's download is dropped).
      if (s && s.offer.sha256 !== offer.sha256) this.#dropFiles(s.offer.sha256);
      this.#set({ offer, state: 'downloading' });
    }
    this.#work();
  }

  #set(s: FleetState): void {
    mkdirSync(this.#dir, { recursive: true });
    writeJson(join(this.#dir, STATE_FILE), s);
    this.#s = s;
  }

  #dropFiles(sha256: string): void {
    for (const f of [`${sha256}.part`, `${sha256}.bundle`]) rmSync(join(this.#dir, f), { force: true });
  }

  #work(): void {
    if (this.#working || this.#stopped) return;
    this.#working = this.#step()
      .catch((err: unknown) => this.#o.log.warn({ err: errorMessage(err) }, 'fleet update: will try again'))
      .finally(() => {
        this.#working = undefined;
      });
  }

  async #step(): Promise<void> {
    const s = this.#s;
    if (s?.state !== 'downloading' || this.#offered?.rolloutId !== s.offer.rolloutId) return;
    if (!s.downloaded) {
      if (!(await this.#download(s))) return;
    }
    const why = installBlocked(this.#o.now?.() ?? Date.now(), this.#o.config, s.offer.window);
    if (why) {
      if (s.detail !== `downloaded; waiting: ${why}`)
        this.#set({ ...s, downloaded: true, detail: `downloaded; waiting: ${why}` });
      // Asked again at each heartbeat; also once a minute, so a window that opens is not missed by much.
      this.#later(60_000);
      return;
    }
    this.#install(s);
  }

  /** Download and check; true once the bundle is there and matches the offer. */
  async #download(s: FleetState): Promise<boolean> {
    const { offer } = s;
    mkdirSync(this.#dir, { recursive: true });
    const part = join(this.#dir, `${offer.sha256}.part`);
    const offset = existsSync(part) ? statSync(part).size : 0;
    if (offset < offer.size) {
      const r = await this.#o.download(offer, part, offset);
      if (r.status !== 200 && r.status !== 206) {
        this.#o.log.warn({ status: r.status, error: r.error }, 'fleet update: download refused; asked again later');
        this.#set({ ...s, detail: `download: HTTP ${r.status} ${r.error ?? ''}`.trim() });
        return false;
      }
    }
    const size = statSync(part).size;
    if (size < offer.size) return false;
    const sha = await fileSha256(part);
    if (size !== offer.size || sha !== offer.sha256) {
      rmSync(part, { force: true });
      this.#finish({
        ...s,
        state: 'failed',
        detail: `the downloaded bundle does not match the offer (SHA-256 ${sha.slice(0, 16)}..., ${size} bytes; offered ${offer.sha256.slice(0, 16)}..., ${offer.size} bytes): refused`,
      });
      return false;
    }
    renameSync(part, join(this.#dir, `${offer.sha256}.bundle`));
    this.#set({ ...s, downloaded: true, detail: 'downloaded' });
    this.#o.changed();
    return true;
  }

  #install(s: FleetState): void {
    const file = join(this.#dir, `${s.offer.sha256}.bundle`);
    rmSync(join(this.#dir, INSTALL_RESULT), { force: true });
    const req: InstallRequest = { rolloutId: s.offer.rolloutId, sha256: s.offer.sha256, file };
    writeJson(join(this.#dir, INSTALL_REQUEST), req);
    this.#set({ ...s, state: 'installing', downloaded: true, detail: `installing ${s.offer.version}` });
    this.#o.log.info({ rollout: s.offer.rolloutId, version: s.offer.version }, 'fleet update: install asked for');
    const cmd = this.#o.config.update.installCommand;
    if (cmd) {
      // Its own session, not waited for: it stops this service and must outlive it.
      const log = openSync(join(this.#dir, 'install.log'), 'a');
      const child = spawn('sh', ['-c', cmd], { detached: true, stdio: ['ignore', log, log] });
      child.on('error', (err) => this.#o.log.error({ err: errorMessage(err) }, 'fleet update: install command failed'));
      child.unref();
    }
    this.#o.changed();
    this.#poll();
  }

  #later(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#work(), ms);
    this.#timer.unref();
  }

  /** Wait for the install's result (it may come after this process was stopped and started again). */
  #poll(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const s = this.#s;
      if (s?.state !== 'installing') return;
      const r = readJson<InstallResult>(join(this.#dir, INSTALL_RESULT));
      if (r?.rolloutId !== s.offer.rolloutId) return this.#poll();
      this.#finish({
        ...s,
        state: r.state,
        ...(r.version !== undefined ? { version: r.version } : {}),
        detail: r.detail ?? r.state,
      });
    }, POLL_MS);
    this.#timer.unref();
  }

  #finish(s: FleetState): void {
    this.#dropFiles(s.offer.sha256);
    this.#set({ ...s, downloaded: false });
    this.#o.log.info({ rollout: s.offer.rolloutId, state: s.state, detail: s.detail }, 'fleet update: outcome');
    this.#o.changed();
  }
}

export const isFinal = (s: FleetUpdateState): boolean => FINAL_UPDATE_STATES.includes(s);
