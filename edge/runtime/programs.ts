import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Every program outside Node that ClassEdge, its tests, benchmarks, evaluation or demo starts, and
 * the Debian package that provides it. One table, so that three things agree: what the code spawns
 * (test/project/programs.test.ts scans the source for spawns and fails on a program missing here), what the
 * README's two commands install (the same test reads scripts/*.sh), and what `classedge doctor`
 * tells a technician to install when a configured component needs a program that is not there.
 */

/**
 * Where a program is started from:
 * - runtime: the appliance or its CLI on a classroom box (a configured component or a command);
 * - service: only when systemd runs the appliance (deploy/systemd): systemd is then on the box;
 * - demo: `classedge start --demo` (simulators, the demo lesson recording);
 * - test, bench, eval: `npm test`, `npm run bench`, `npm run eval`.
 */
export type ProgramUse = 'runtime' | 'service' | 'demo' | 'test' | 'bench' | 'eval';

export interface ProgramInfo {
  /** What `apt-get install` takes. */
  readonly debianPackage: string;
  /**
   * The package that owns the file, when `debianPackage` is a metapackage that depends on it
   * (postgresql → postgresql-15). Defaults to `debianPackage`.
   */
  readonly providedBy?: string;
  readonly purpose: string;
  /** Set when the code spawns it by absolute path rather than by name on PATH. */
  readonly path?: string;
  readonly usedBy: readonly ProgramUse[];
  /** Its package is Essential in Debian (every installation has it), so no script installs it. */
  readonly essential?: true;
}

const table = {
  socat: {
    debianPackage: 'socat',
    purpose: 'pseudo-terminal pairs as serial cables for the simulators; forwards sd_notify datagrams to systemd',
    usedBy: ['service', 'demo', 'test', 'bench'],
  },
  'systemd-notify': {
    debianPackage: 'systemd',
    purpose: 'sd_notify fallback when socat is missing (only under systemd, whose package it is)',
    usedBy: ['service'],
  },
  arecord: {
    debianPackage: 'alsa-utils',
    purpose: 'the classroom microphones through ALSA (audio-alsa)',
    usedBy: ['runtime', 'test'],
  },
  ffmpeg: {
    debianPackage: 'ffmpeg',
    purpose: 'camera frames for the analysis (camera-ffmpeg); the classroom camera into the SFU (media); test videos',
    usedBy: ['runtime', 'demo', 'test', 'bench'],
  },
  openssl: {
    debianPackage: 'openssl',
    purpose: "the admin console's self-signed certificate (classedge tls generate)",
    usedBy: ['runtime', 'test'],
  },
  tar: {
    debianPackage: 'tar',
    purpose: 'update bundles: packs and unpacks the payload',
    usedBy: ['runtime', 'test'],
    essential: true,
  },
  fallocate: {
    debianPackage: 'util-linux',
    purpose: "the soak's ballast file that leaves its small disk nearly full",
    usedBy: ['test'],
    essential: true,
  },
  bash: {
    debianPackage: 'bash',
    purpose: 'runs scripts/fresh-root-check.sh for the fresh_demo_s figure',
    usedBy: ['bench'],
    essential: true,
  },
  mount: {
    debianPackage: 'mount',
    purpose:
      'mounts a small tmpfs as a data directory that fills up, and remounts one read-only (test/disk: a disk nearly full, a card the kernel made read-only); needs root',
    usedBy: ['test'],
  },
  umount: {
    debianPackage: 'mount',
    purpose: 'unmounts those test file systems, pass or fail',
    usedBy: ['test'],
  },
  sh: {
    debianPackage: 'dash',
    purpose: "an update bundle's health command; the kiosk launcher in tests",
    usedBy: ['runtime', 'test'],
    essential: true,
  },
  'espeak-ng': {
    debianPackage: 'espeak-ng',
    purpose: 'the voices of the synthetic lesson recording',
    usedBy: ['demo', 'test', 'bench', 'eval'],
  },
  sox: {
    debianPackage: 'sox',
    purpose: 'mixes the synthetic lesson recording; raw samples for the ALSA test',
    usedBy: ['demo', 'test', 'bench', 'eval'],
  },
  mbpoll: {
    debianPackage: 'mbpoll',
    purpose: 'an independent Modbus RTU master against the simulated sensors',
    usedBy: ['test'],
  },
  pdftoppm: {
    debianPackage: 'poppler-utils',
    purpose: "renders the printed lesson report's first page to a picture (test/kiosk/lesson-insight.e2e.test.ts)",
    usedBy: ['test'],
  },
  mosquitto_pub: {
    debianPackage: 'mosquitto-clients',
    purpose: 'an independent MQTT client against the embedded broker',
    usedBy: ['test'],
  },
  chromium: {
    debianPackage: 'chromium',
    purpose: "the kiosk's and the remote lesson's browser, driven by playwright-core",
    path: '/usr/bin/chromium',
    usedBy: ['test', 'bench'],
  },
  python3: {
    debianPackage: 'python3',
    providedBy: 'python3-minimal',
    purpose: 'runs the pymodbus slave fixture and the power-cut file system (test/fixtures/power_cut_fs.py)',
    path: '/usr/bin/python3',
    usedBy: ['test'],
  },
  fusermount3: {
    debianPackage: 'fuse3',
    purpose: 'unmounts the power-cut file system (FUSE) the power-cut test runs the appliance on',
    usedBy: ['test'],
  },
  initdb: {
    debianPackage: 'postgresql',
    providedBy: 'postgresql-15',
    purpose: "creates the district receiver's test database cluster",
    path: '/usr/lib/postgresql/15/bin/initdb',
    usedBy: ['test', 'bench'],
  },
  postgres: {
    debianPackage: 'postgresql',
    providedBy: 'postgresql-15',
    purpose: "the district receiver's test database server",
    path: '/usr/lib/postgresql/15/bin/postgres',
    usedBy: ['test', 'bench'],
  },
  pg_basebackup: {
    debianPackage: 'postgresql-client-15',
    purpose: "copies the test primary into a streaming replica for the console's replica test",
    path: '/usr/lib/postgresql/15/bin/pg_basebackup',
    usedBy: ['test'],
  },
  'systemd-analyze': {
    debianPackage: 'systemd',
    purpose: 'verifies the service unit and its security score',
    usedBy: ['test'],
  },
  prlimit: {
    debianPackage: 'util-linux',
    purpose: "the broker's disk-full test: lowers a running appliance's file size limit so its writes fail",
    usedBy: ['test'],
    essential: true,
  },
  flock: {
    debianPackage: 'util-linux',
    purpose: "holds the media worker build's lock in the build script's test",
    usedBy: ['test'],
    essential: true,
  },
  mkfifo: { debianPackage: 'coreutils', purpose: "the ALSA test's named pipe", usedBy: ['test'], essential: true },
  dpkg: {
    debianPackage: 'dpkg',
    purpose: 'test/project/programs.test.ts: which package owns a program',
    usedBy: ['test'],
    essential: true,
  },
  'dpkg-query': {
    debianPackage: 'dpkg',
    purpose: 'test/project/programs.test.ts: whether a package is Essential, what a metapackage depends on',
    usedBy: ['test'],
    essential: true,
  },
  id: {
    debianPackage: 'coreutils',
    purpose: "the postgres user's uid and gid for the test database",
    usedBy: ['test', 'bench'],
    essential: true,
  },
} as const satisfies Record<string, ProgramInfo>;

export type ProgramName = keyof typeof table;
export const PROGRAMS: Readonly<Record<ProgramName, ProgramInfo>> = table;

export function programNames(): ProgramName[] {
  return Object.keys(table) as ProgramName[];
}

export function isProgramName(name: string): name is ProgramName {
  return Object.hasOwn(table, name);
}

/**
 * Python modules that Python run by ClassEdge imports (test/fixtures/*.py), or whose files it reads
 * (python3-skimage's photographs compose the simulated classroom camera's scenes).
 */
export interface PythonModuleInfo {
  readonly debianPackage: string;
  readonly purpose: string;
  readonly usedBy: readonly ProgramUse[];
  /** Imported by that module, not by ClassEdge's own Python. */
  readonly importedVia?: string;
}

const pythonTable = {
  pymodbus: {
    debianPackage: 'python3-pymodbus',
    purpose: 'the Modbus RTU slave fixture (test/fixtures/pymodbus_slave.py)',
    usedBy: ['test'],
  },
  serial: {
    debianPackage: 'python3-serial',
    purpose: "pymodbus's serial transport (StartSerialServer imports it)",
    usedBy: ['test'],
    importedVia: 'pymodbus',
  },
  // Both only Recommends of python3-pymodbus, which --no-install-recommends leaves out.
  serial_asyncio: {
    debianPackage: 'python3-serial-asyncio',
    purpose: "pymodbus.server's serial transport (imported by pymodbus.server)",
    usedBy: ['test'],
    importedVia: 'pymodbus',
  },
  fuse: {
    debianPackage: 'python3-fuse',
    purpose:
      "the power-cut file system (test/fixtures/power_cut_fs.py): a FUSE mirror that keeps only what was fsync'ed",
    usedBy: ['test'],
  },
  skimage: {
    debianPackage: 'python3-skimage',
    purpose: 'its photographs (dist-packages/skimage/data) are the faces of the simulated classroom camera',
    usedBy: ['demo', 'test', 'bench', 'eval'],
  },
} as const satisfies Record<string, PythonModuleInfo>;

export type PythonModuleName = keyof typeof pythonTable;
export const PYTHON_MODULES: Readonly<Record<PythonModuleName, PythonModuleInfo>> = pythonTable;

/**
 * Shared libraries a test preloads into an appliance process (LD_PRELOAD), by their path inside
 * the multiarch library directory (/usr/lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu).
 */
export interface PreloadInfo {
  readonly debianPackage: string;
  /** Relative to the multiarch library directory. */
  readonly file: string;
  readonly purpose: string;
  readonly usedBy: readonly ProgramUse[];
}

const preloadTable = {
  libfaketime: {
    debianPackage: 'libfaketime',
    file: 'faketime/libfaketime.so.1',
    purpose:
      'preloaded straight into an appliance process (no faketime wrapper: killed -9, the wrapper leaves its named semaphore behind, and the next wrapper that gets the same pid cannot start): the library follows a timestamp file, so a test steps the wall clock forward and back while the appliance runs (test/runtime/clock-jump.test.ts, the soak)',
    usedBy: ['test'],
  },
} as const satisfies Record<string, PreloadInfo>;

export type PreloadName = keyof typeof preloadTable;
export const PRELOADS: Readonly<Record<PreloadName, PreloadInfo>> = preloadTable;

/** The library's path on this machine, or undefined when its package is not installed. */
export function findPreload(name: PreloadName, libRoot = '/usr/lib'): string | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync(libRoot).filter((d) => /-linux-gnu/.test(d));
  } catch {
    return undefined;
  }
  return dirs
    .map((d) => join(libRoot, d, PRELOADS[name].file))
    .find((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
}

/** A program a configured component starts: the table's entry and the command as configured. */
export interface ProgramNeed {
  readonly program: ProgramName;
  /** A name looked up on PATH, or a path (a config's ffmpegPath / arecordPath). */
  readonly command: string;
}

export function need(program: ProgramName, command?: string): ProgramNeed {
  return { program, command: command ?? programCommand(program) };
}

/** What to spawn for a program: its absolute path when the table has one, else its name. */
export function programCommand(program: ProgramName): string {
  return PROGRAMS[program].path ?? program;
}

/** The fix for a missing program, for messages an operator acts on. */
export function installHint(program: ProgramName): string {
  return `apt-get install ${PROGRAMS[program].debianPackage}`;
}

/**
 * Where `command` would be found by spawn(): itself when it holds a slash, else the first
 * executable regular file of that name in a PATH directory (with no PATH at all, execvp's
 * /usr/bin:/bin). Undefined when there is none.
 * (No `which`: that would be a program of its own to depend on.)
 */
export function findProgram(command: string, path = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : path
        .split(delimiter)
        .filter((d) => isAbsolute(d))
        .map((d) => join(d, command));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}
