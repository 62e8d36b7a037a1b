import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/env.js';
import { scanSource, type ScanResult } from '../helpers/spawn-scan.js';
import { packagesInstalledBy, type ScriptInstalls } from '../helpers/script-packages.js';
import {
  findProgram,
  isProgramName,
  programNames,
  PROGRAMS,
  PYTHON_MODULES,
  PRELOADS,
  findPreload,
  type PreloadName,
  type ProgramInfo,
  type ProgramUse,
} from '../../edge/runtime/programs.js';

/*
 * Every program the code starts is in edge/runtime/programs.ts, and every package there is
 * installed by the scripts that the README's two commands run: `npm test` (scripts/test.sh) for
 * what the tests, benchmarks and evaluation start, `npm run demo` (scripts/demo.sh) for what the
 * appliance and its demo start. A program the scripts forget fails here, on a machine that already
 * has it, instead of on a bare one. Tried: with alsa-utils taken out of scripts/test.sh this fails
 *   "arecord (used by runtime, test): Debian package alsa-utils is not installed by scripts/test.sh
 *    (reaching lib.sh, leftover-processes.sh, build-mediasoup-worker.sh)"
 */

const SCANNED = ['edge', 'firmware-bridge', 'cloud-sync', 'models', 'test', 'bin'];
/** The table names programs without starting them; its paths would satisfy the scan by themselves. */
const NOT_SCANNED = ['edge/runtime/programs.ts'];
const SCRIPTS = join(ROOT, 'scripts');

/**
 * Spawns whose command is not a literal, each with the reason it is covered. A new dynamic spawn
 * fails the test until it is added here, with where its program names come from.
 */
const DYNAMIC: { file: string; expr: string; why: string }[] = [
  {
    file: 'edge/analysis/inputs/supervised-process.ts',
    expr: 'this.o.command',
    why: 'arecordPath / ffmpegPath of the kinds, found as config defaults (P4)',
  },
  {
    file: 'edge/media/camera.ts',
    expr: 'o.ffmpegPath',
    why: "the media kind's ffmpegPath, found as a config default (P4)",
  },
];

/** Spawns the scanner must find, one per pattern: a broken pattern cannot pass vacuously. */
const KNOWN: { file: string; program: string; how: string }[] = [
  { file: 'firmware-bridge/serial/pty-pair.ts', program: 'socat', how: 'P3' },
  { file: 'test/broker/broker.test.ts', program: 'mosquitto_pub', how: 'P1' },
  { file: 'edge/update/update.ts', program: 'tar', how: 'P1' },
  { file: 'test/helpers/postgres.ts', program: PROGRAMS.initdb.path ?? 'initdb', how: 'P1' },
  { file: 'firmware-bridge/sim/lesson-audio.ts', program: 'sox', how: 'P2' },
  { file: 'test/modbus/modbus-interop.test.ts', program: 'mbpoll', how: 'P2' },
  { file: 'test/runtime/deploy.test.ts', program: 'systemd-analyze', how: 'P2' },
  { file: 'edge/analysis/inputs/alsa-capture.kind.ts', program: 'arecord', how: 'P4' },
  { file: 'edge/media/media.kind.ts', program: 'ffmpeg', how: 'P4' },
  { file: 'test/helpers/browser.ts', program: PROGRAMS.chromium.path ?? 'chromium', how: 'P5' },
  { file: 'test/modbus/modbus-interop.test.ts', program: PROGRAMS.python3.path ?? 'python3', how: 'P5' },
];

let scanned: ScanResult | undefined;
function scan(): ScanResult {
  scanned ??= scanSource(ROOT, SCANNED, NOT_SCANNED);
  return scanned;
}

/** The table entry a spawned name or path stands for. */
function entryFor(program: string): string | undefined {
  if (isProgramName(program)) return program;
  return programNames().find((n) => PROGRAMS[n].path === program);
}

test('the spawn scanner finds the known spawns, one per pattern', { timeout: 60_000 }, () => {
  const s = scan();
  assert.ok(s.files > 100, `scanned only ${s.files} files`);
  for (const k of KNOWN) {
    assert.ok(
      s.programs.some((p) => p.file === k.file && p.program === k.program && p.how === k.how),
      `the scanner did not find ${k.program} (${k.how}) in ${k.file}: its patterns are broken`,
    );
  }
  assert.ok(
    s.python.some((p) => p.file === 'test/fixtures/pymodbus_slave.py' && p.module === 'pymodbus'),
    'pymodbus import in the fixture',
  );
  assert.ok(
    s.python.some((p) => p.file === 'firmware-bridge/sim/face-scenes.ts' && p.module === 'skimage'),
    "skimage's data in face-scenes",
  );
});

test(
  'every program spawned in the source is in the table, and every entry is spawned somewhere',
  { timeout: 60_000 },
  () => {
    const s = scan();
    const unknown = s.programs
      .filter((p) => p.program !== 'node' && entryFor(p.program) === undefined)
      .map((p) => `${p.file}:${p.line}: ${p.program} (${p.how})`);
    assert.deepEqual(
      unknown,
      [],
      `programs spawned but not in edge/runtime/programs.ts (add each with its Debian package):\n${unknown.join('\n')}`,
    );

    const dynamic = s.dynamic.filter(
      (d) =>
        d.expr !== 'process.execPath' &&
        !d.expr.startsWith('wrapper parameter ') &&
        !DYNAMIC.some((k) => k.file === d.file && k.expr === d.expr),
    );
    assert.deepEqual(
      dynamic.map((d) => `${d.file}:${d.line}: ${d.expr}`),
      [],
      'spawns of a computed command: make it a literal, or list it in DYNAMIC with where its names come from',
    );
    for (const k of DYNAMIC)
      assert.ok(
        s.dynamic.some((d) => d.file === k.file && d.expr === k.expr),
        `DYNAMIC lists ${k.expr} in ${k.file}, which no longer spawns it`,
      );

    const found = new Set(s.programs.map((p) => entryFor(p.program)));
    const stale = programNames().filter((n) => !found.has(n));
    assert.deepEqual(stale, [], 'table entries that nothing spawns any more: remove them');

    const stdlib = spawnSync('/usr/bin/python3', ['-c', 'import sys; print("\\n".join(sys.stdlib_module_names))'], {
      encoding: 'utf8',
    });
    assert.equal(stdlib.status, 0, stdlib.stderr);
    const std = new Set(stdlib.stdout.split('\n'));
    const modules = new Set(Object.keys(PYTHON_MODULES));
    const unknownPy = s.python
      .filter((p) => !std.has(p.module) && !modules.has(p.module))
      .map((p) => `${p.file}:${p.line}: ${p.module}`);
    assert.deepEqual(unknownPy, [], `Python modules used but not in PYTHON_MODULES:\n${unknownPy.join('\n')}`);
    for (const [name, m] of Object.entries(PYTHON_MODULES)) {
      assert.ok(
        s.python.some((p) => p.module === (m.importedVia ?? name)),
        `PYTHON_MODULES.${name}: nothing uses it any more`,
      );
    }
  },
);

test(
  'the script reader follows sourced files, called functions (and the arguments they forward), continuations and background scripts',
  { timeout: 60_000 },
  () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'scripts'));
      const w = (name: string, text: string): void => writeFileSync(join(dir.path, 'scripts', name), text);
      w(
        'entry.sh',
        [
          'source "$(dirname "$0")/lib.sh"',
          '# ensure_debian in-a-comment',
          'phase apt ensure_debian alpha \\',
          '  beta   gamma',
          'PKGS=(delta epsilon)',
          'ensure_debian "${PKGS[@]}" && echo done',
          'phase more install_more theta',
          'nohup bash scripts/bg.sh >/dev/null 2>&1 &',
          "cat <<'EOF'",
          'ensure_debian in-a-heredoc',
          'EOF',
          '',
        ].join('\n'),
      );
      w(
        'lib.sh',
        [
          'ensure_debian() { :; }',
          'phase() { "${@:2}"; }',
          'install_more() {',
          '  ensure_debian zeta "$@"',
          '}',
          'never_called() {',
          '  ensure_debian not-this',
          '}',
          '',
        ].join('\n'),
      );
      w('bg.sh', 'ensure_debian eta "$WHAT"\n');
      w('unreached.sh', 'ensure_debian nor-this\n');
      const r = packagesInstalledBy(join(dir.path, 'scripts'), 'entry.sh');
      assert.deepEqual(r.files, ['entry.sh', 'lib.sh', 'bg.sh']);
      // "$@" in a function forwards what its reached calls pass (ensure_node_modules socat).
      assert.deepEqual([...r.packages].sort(), ['alpha', 'beta', 'delta', 'epsilon', 'eta', 'gamma', 'theta', 'zeta']);
      assert.deepEqual(
        r.calls.find((c) => c.packages.includes('beta')),
        { file: 'entry.sh', line: 3, packages: ['alpha', 'beta', 'gamma'] },
      );
      assert.deepEqual(r.problems, [
        'bg.sh:1: ensure_debian argument "$WHAT" is not a literal assignment of these scripts',
      ]);
    } finally {
      dir.cleanup();
    }
  },
);

function installs(entry: string): ScriptInstalls {
  const r = packagesInstalledBy(SCRIPTS, entry);
  assert.deepEqual(r.problems, [], `scripts/${entry}: unreadable ensure_debian arguments`);
  assert.ok(r.calls.length > 0, `scripts/${entry}: no ensure_debian call found`);
  return r;
}

function dpkgField(pkg: string, field: string): string {
  const r = spawnSync('dpkg-query', ['-W', `-f=\${${field}}`, pkg], { encoding: 'utf8' });
  assert.equal(r.status, 0, `dpkg-query ${pkg}: ${r.stderr}`);
  return r.stdout.trim();
}

test("every package in the table is installed by the scripts the README's commands run", { timeout: 60_000 }, () => {
  const forTest = installs('test.sh');
  const forDemo = installs('demo.sh');
  const where = (r: ScriptInstalls, entry: string): string =>
    `scripts/${entry} (reaching ${r.files.filter((f) => f !== entry).join(', ') || 'nothing else'})`;
  const wants = (usedBy: readonly ProgramUse[]): { r: ScriptInstalls; entry: string }[] => [
    ...(usedBy.some((u) => u === 'test' || u === 'bench' || u === 'eval') ? [{ r: forTest, entry: 'test.sh' }] : []),
    // 'service' alone runs only under systemd, whose package the box then has.
    ...(usedBy.some((u) => u === 'runtime' || u === 'demo') ? [{ r: forDemo, entry: 'demo.sh' }] : []),
  ];
  const missing: string[] = [];
  const check = (what: string, info: Pick<ProgramInfo, 'debianPackage' | 'usedBy' | 'essential'>): void => {
    if (info.essential) {
      assert.equal(
        dpkgField(info.debianPackage, 'Essential'),
        'yes',
        `${what}: ${info.debianPackage} is marked essential in the table but is not Essential in Debian`,
      );
      return;
    }
    const lacking = wants(info.usedBy).filter((w) => !w.r.packages.has(info.debianPackage));
    if (lacking.length > 0) {
      const by = lacking.map((w) => where(w.r, w.entry));
      missing.push(
        `${what} (used by ${info.usedBy.join(', ')}): Debian package ${info.debianPackage} is ${by.length === 1 ? `not installed by ${by[0]}` : `installed by neither ${by.join(' nor ')}`}`,
      );
    }
  };
  for (const n of programNames()) check(n, PROGRAMS[n]);
  for (const [n, m] of Object.entries(PYTHON_MODULES)) check(`python module ${n}`, m);
  for (const [n, m] of Object.entries(PRELOADS)) check(`preloaded library ${n}`, m);
  assert.deepEqual(missing, [], `add the package to the script's ensure_debian:\n${missing.join('\n')}`);
});

/** The packages dpkg says own a file, trying both sides of the /usr merge (/bin/x and /usr/bin/x). */
function owners(file: string): string[] {
  const forms = new Set([
    file,
    file.replace(/^\/usr\/(s?bin|lib)\//, '/$1/'),
    file.replace(/^\/(s?bin|lib)\//, '/usr/$1/'),
  ]);
  const r = spawnSync('dpkg', ['-S', ...forms], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('diversion ') && l.includes(': /'))
    .flatMap((l) =>
      l
        .slice(0, l.indexOf(': /'))
        .split(', ')
        .map((p) => p.replace(/:[\w-]+$/, '')),
    );
}

test('each program is provided by its package on this machine', { timeout: 60_000 }, () => {
  const problems: string[] = [];
  for (const n of programNames()) {
    const p: ProgramInfo = PROGRAMS[n];
    const want = p.providedBy ?? p.debianPackage;
    const at = findProgram(p.path ?? n);
    if (at === undefined) {
      problems.push(`${n}: not found ${p.path ? `at ${p.path}` : 'on PATH'} (apt-get install ${p.debianPackage})`);
      continue;
    }
    // An alternatives symlink is nobody's file; what it points at is. python3's link is its own package's.
    const got = [...new Set([...owners(at), ...owners(realpathSync(at))])];
    if (!got.includes(want))
      problems.push(`${n}: ${at} (${realpathSync(at)}) belongs to ${got.join(', ') || 'no package'}, not ${want}`);
    if (p.providedBy !== undefined) {
      const depends = `${dpkgField(p.debianPackage, 'Pre-Depends')}, ${dpkgField(p.debianPackage, 'Depends')}`;
      if (!new RegExp(`(^|[ ,|])${p.providedBy.replace(/[.+]/g, '\\$&')}( |,|$|:)`).test(depends))
        problems.push(`${n}: ${p.debianPackage} does not depend on ${p.providedBy} (Depends: ${depends})`);
    }
  }
  assert.deepEqual(problems, []);
});

/** The text of every scanned source file but the table's own, for names the spawn scan does not see. */
function scanSourceText(): string {
  return SCANNED.flatMap((d) =>
    readdirSync(join(ROOT, d), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
      .map((e) => join(e.parentPath, e.name))
      .filter((f) => !f.includes('/node_modules/') && !NOT_SCANNED.some((n) => f.endsWith(n)))
      .map((f) => readFileSync(f, 'utf8')),
  ).join('\n');
}

test(
  'each preloaded library is on this machine, from its package, and something preloads it',
  { timeout: 60_000 },
  () => {
    const problems: string[] = [];
    const sources = scanSourceText();
    for (const n of Object.keys(PRELOADS) as PreloadName[]) {
      const at = findPreload(n);
      if (at === undefined)
        problems.push(`${n}: ${PRELOADS[n].file} not found (apt-get install ${PRELOADS[n].debianPackage})`);
      else if (!owners(at).includes(PRELOADS[n].debianPackage))
        problems.push(
          `${n}: ${at} belongs to ${owners(at).join(', ') || 'no package'}, not ${PRELOADS[n].debianPackage}`,
        );
      if (!sources.includes(`findPreload('${n}')`)) problems.push(`${n}: nothing calls findPreload('${n}'): remove it`);
    }
    assert.deepEqual(problems, []);
  },
);

test('each Python module imports with /usr/bin/python3, from its package', { timeout: 60_000 }, () => {
  const problems: string[] = [];
  for (const [n, m] of Object.entries(PYTHON_MODULES)) {
    const r = spawnSync('/usr/bin/python3', ['-c', `import ${n}; print(${n}.__file__)`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0) {
      problems.push(`import ${n}: ${r.stderr.trim().split('\n').pop() ?? ''} (apt-get install ${m.debianPackage})`);
      continue;
    }
    const file = r.stdout.trim();
    if (!owners(file).includes(m.debianPackage))
      problems.push(`${n}: ${file} belongs to ${owners(file).join(', ') || 'no package'}, not ${m.debianPackage}`);
  }
  // `import pymodbus` alone succeeds without what pymodbus.server imports: run each Python file's
  // own import lines too.
  for (const py of new Set(
    scan()
      .python.filter((p) => p.file.endsWith('.py'))
      .map((p) => p.file),
  )) {
    const imports = readFileSync(join(ROOT, py), 'utf8')
      .split('\n')
      .filter((l) => /^(import|from)\s/.test(l))
      .join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', imports], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) problems.push(`${py}'s imports: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  assert.deepEqual(problems, []);
});
