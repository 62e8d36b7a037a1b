import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { machine } from 'node:os';
import { join } from 'node:path';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import {
  parseBuildProgress,
  readBuildProgress,
  workerReadiness,
  mediasoupVersion,
  BUILD_PROGRESS_FILE,
} from '../../edge/media/worker-bin.js';
import { runChecks } from '../../edge/doctor/checks.js';
import { parseConfig } from '../../edge/config/load.js';

const SCRIPT = join(ROOT, 'scripts', 'build-mediasoup-worker.sh');
const valid = { stage: 'compile', percent: 45, pid: process.pid, updatedAt: new Date().toISOString() };

/** Runs `fn` with MEDIASOUP_WORKER_BIN pointing at `bin`, and puts the variable back after. */
async function withWorkerBin<T>(bin: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.MEDIASOUP_WORKER_BIN;
  process.env.MEDIASOUP_WORKER_BIN = bin;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.MEDIASOUP_WORKER_BIN;
    else process.env.MEDIASOUP_WORKER_BIN = saved;
  }
}

/** A pid that surely belongs to no process: one that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(child.pid);
  return child.pid;
}

test('the progress file parser takes a real file and refuses garbage, truncated and ill-typed ones', () => {
  assert.deepEqual(parseBuildProgress(JSON.stringify(valid)), valid);
  assert.deepEqual(
    parseBuildProgress(JSON.stringify({ ...valid, stage: 'failed', percent: 0, message: 'boom; log: /x/build.log' }))
      ?.message,
    'boom; log: /x/build.log',
  );
  const text = JSON.stringify(valid);
  for (const bad of [
    '',
    'garbage',
    '\u0000\u0001\u0002',
    text.slice(0, text.length - 3), // the writer died mid-write (the script renames, but a hand copy may not)
    'null',
    '[]',
    '45',
    JSON.stringify({ ...valid, stage: 'linking' }),
    JSON.stringify({ ...valid, percent: 140 }),
    JSON.stringify({ ...valid, percent: -1 }),
    JSON.stringify({ ...valid, percent: '45' }),
    JSON.stringify({ ...valid, pid: 0 }),
    JSON.stringify({ ...valid, pid: 1.5 }),
    JSON.stringify({ ...valid, updatedAt: 'yesterday' }),
    JSON.stringify({ ...valid, message: 42 }),
    JSON.stringify({ stage: 'compile' }),
  ]) {
    assert.equal(parseBuildProgress(bad), undefined, `accepted: ${bad}`);
  }
});

test('reading the progress file: absent is none; garbage, oversized or unreadable is unknown, never a throw', () => {
  const dir = tempDir();
  try {
    const bin = join(dir.path, 'mediasoup-worker');
    const file = join(dir.path, BUILD_PROGRESS_FILE);
    assert.deepEqual(readBuildProgress(bin), { kind: 'none' });
    writeFileSync(file, JSON.stringify(valid));
    assert.deepEqual(readBuildProgress(bin), { kind: 'ok', progress: valid });
    writeFileSync(file, '{"stage": "comp');
    assert.equal(readBuildProgress(bin).kind, 'unknown');
    // Valid JSON but far larger than any progress file: not read whole, not trusted.
    writeFileSync(file, JSON.stringify({ ...valid, message: 'x'.repeat(1 << 20) }));
    const big = readBuildProgress(bin);
    assert.equal(big.kind, 'unknown');
    assert.match(big.kind === 'unknown' ? big.problem : '', /larger than 4096 bytes/);
    // A directory where the file should be.
    const dir2 = join(dir.path, 'sub');
    mkdirSync(join(dir2, BUILD_PROGRESS_FILE), { recursive: true });
    assert.equal(readBuildProgress(join(dir2, 'mediasoup-worker')).kind, 'unknown');
  } finally {
    dir.cleanup();
  }
});

test('worker readiness: a live build wins, a dead build is interrupted, a failed one names its log, a binary is ready', async () => {
  const dir = tempDir();
  try {
    const bin = join(dir.path, 'mediasoup-worker');
    const file = join(dir.path, BUILD_PROGRESS_FILE);
    await withWorkerBin(bin, async () => {
      assert.equal(workerReadiness().state, 'missing');
      writeFileSync(file, JSON.stringify(valid));
      assert.deepEqual(workerReadiness(), {
        state: 'building',
        path: bin,
        stage: 'compile',
        percent: 45,
        pid: process.pid,
      });
      writeFileSync(file, JSON.stringify({ ...valid, pid: await deadPid() }));
      const interrupted = workerReadiness();
      assert.equal(interrupted.state, 'missing');
      assert.match(
        interrupted.state === 'missing' ? interrupted.problem : '',
        /a build was interrupted in stage compile/,
      );
      writeFileSync(
        file,
        JSON.stringify({
          ...valid,
          stage: 'failed',
          percent: 0,
          message: 'the media worker build failed while in stage compile (exit 1): error: boom',
        }),
      );
      const failed = workerReadiness();
      assert.equal(failed.state, 'failed');
      assert.match(
        failed.state === 'failed' ? failed.message : '',
        new RegExp(`boom \\(log: ${join(dir.path, 'build.log')}\\)`),
      );
      writeFileSync(file, 'garbage');
      assert.equal(workerReadiness().state, 'missing', 'unknown progress: only the binary counts');
      writeFileSync(bin, '#!/bin/sh\n');
      chmodSync(bin, 0o755);
      assert.equal(workerReadiness().state, 'ready');
      // A rebuild under way (a new recipe) replaces the binary: wait for it.
      writeFileSync(file, JSON.stringify({ ...valid, stage: 'configure', percent: 12 }));
      assert.equal(workerReadiness().state, 'building');
      writeFileSync(file, JSON.stringify({ ...valid, stage: 'done', percent: 100 }));
      assert.equal(workerReadiness().state, 'ready');
    });
  } finally {
    dir.cleanup();
  }
});

test('doctor: a build under way is a warning with its percent; a failed build fails with its log', async () => {
  const dir = tempDir();
  try {
    const bin = join(dir.path, 'mediasoup-worker');
    const config = parseConfig(
      `dataDir: ${JSON.stringify(dir.path)}\nhttp: { port: 1 }\ncomponents:\n  - { type: media, name: media }\n`,
      'test.yaml',
    );
    await withWorkerBin(bin, async () => {
      writeFileSync(join(dir.path, BUILD_PROGRESS_FILE), JSON.stringify(valid));
      const building = (await runChecks(config)).find((c) => c.name === 'media-worker');
      assert.equal(building?.status, 'warn');
      assert.match(building?.detail ?? '', /^remote lessons are being prepared: building the media worker \(45 %\)/);
      writeFileSync(
        join(dir.path, BUILD_PROGRESS_FILE),
        JSON.stringify({ ...valid, stage: 'failed', percent: 0, message: 'compile failed' }),
      );
      const failed = (await runChecks(config)).find((c) => c.name === 'media-worker');
      assert.equal(failed?.status, 'fail');
      assert.match(failed?.detail ?? '', new RegExp(`compile failed \\(log: ${join(dir.path, 'build.log')}\\)`));
    });
  } finally {
    dir.cleanup();
  }
});

// ---- The build script, with the compiler toolchain at the far end faked: the real build takes
// minutes, and what is tested here is the lock and the progress the script reports.

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<number | null>;
}

function runScript(env: NodeJS.ProcessEnv): Run {
  const child = spawn('bash', [SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Run = {
    child,
    stdout: '',
    stderr: '',
    done: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (r.stderr += d.toString()));
  return r;
}

async function finished(r: Run, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    r.done,
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') throw new Error(`the build script did not end within ${ms} ms; stderr:\n${r.stderr}`);
  return code;
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The recipe stamp the script writes beside a binary it built. */
const recipe = (): string => readFileSync(SCRIPT, 'utf8').match(/^RECIPE=(\d+)$/m)?.[1] ?? 'none';

/** The cache directory the script uses under XDG_CACHE_HOME=`cache`. */
const outDir = (cache: string) => join(cache, 'classedge', 'mediasoup-worker', `${mediasoupVersion()}-${machine()}`);

test(
  'the build script: a second build waits for the first, then finds the binary it installed',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    const out = outDir(dir.path);
    mkdirSync(out, { recursive: true });
    // If the lock were not taken, the script would build: make sure it could build nothing real.
    const tools = join(dir.path, 'tools');
    mkdirSync(tools);
    for (const tool of ['meson', 'ninja']) {
      writeFileSync(join(tools, tool), '#!/bin/sh\necho "$0 must not run in this test" >&2\nexit 1\n');
      chmodSync(join(tools, tool), 0o755);
    }
    const env = { XDG_CACHE_HOME: dir.path, MEDIASOUP_WORKER_BIN: '', PATH: `${tools}:${process.env.PATH ?? ''}` };
    // The first build, as far as the lock goes: flock holds it (-o: not its child) until cat's stdin ends.
    const lock = join(out, 'build.lock');
    const holder = spawn('flock', ['-o', lock, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const release = (): void => {
      holder.stdin?.end();
      kill(holder);
    };
    let second: Run | undefined;
    try {
      await waitFor(
        () => (spawnSync('flock', ['-n', lock, 'true']).status === 1 ? true : undefined),
        'the lock held',
        5000,
      );
      second = runScript(env);
      const waiting = second;
      await waitFor(
        () => (waiting.stderr.includes('another build of') ? true : undefined),
        'the second build waiting',
        20_000,
      );
      assert.equal(existsSync(join(out, BUILD_PROGRESS_FILE)), false, 'the waiting build writes no progress');
      // The first build ends: its binary and recipe stamp are in place, then the lock goes.
      writeFileSync(join(out, 'mediasoup-worker'), '#!/bin/sh\n');
      chmodSync(join(out, 'mediasoup-worker'), 0o755);
      writeFileSync(join(out, 'recipe'), `${recipe()}\n`);
      const t0 = Date.now();
      release();
      assert.equal(await finished(second, 10_000), 0, second.stderr);
      assert.ok(Date.now() - t0 < 5000, 'it returned at once, without building');
      assert.equal(second.stdout.trim().split('\n').pop(), join(out, 'mediasoup-worker'));
      // Cached: two at once both return at once.
      const both = [runScript(env), runScript(env)];
      try {
        for (const r of both) {
          assert.equal(await finished(r, 10_000), 0, r.stderr);
          assert.equal(r.stdout.trim().split('\n').pop(), join(out, 'mediasoup-worker'));
        }
      } finally {
        for (const r of both) kill(r.child);
      }
    } finally {
      release();
      if (second) kill(second.child);
      dir.cleanup();
    }
  },
);

test(
  'the build script reports its stages and a growing percent, installs the binary, and on failure says so with the log',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir();
    const out = outDir(dir.path);
    const tools = join(dir.path, 'tools');
    mkdirSync(tools);
    // meson configures nothing; ninja prints its status lines as the real one does into a pipe.
    writeFileSync(join(tools, 'meson'), '#!/bin/sh\nmkdir -p build\n');
    writeFileSync(
      join(tools, 'ninja'),
      `#!/bin/bash
if [ "$3" = fbs/FBS ]; then echo "[1/2] flatc a"; echo "[2/2] flatc b"; exit 0; fi
for i in 1 2 3 4; do echo "[$i/4] Compiling C++ object $i"; sleep 0.3; done
if [ -n "$FAKE_FAIL" ]; then echo "../src/RTC/Thing.cpp:1:1: error: boom"; exit 1; fi
printf '#!/bin/sh\\n' > "$2/mediasoup-worker"
`,
    );
    chmodSync(join(tools, 'meson'), 0o755);
    chmodSync(join(tools, 'ninja'), 0o755);
    const env = { XDG_CACHE_HOME: dir.path, MEDIASOUP_WORKER_BIN: '', PATH: `${tools}:${process.env.PATH ?? ''}` };
    const runs: Run[] = [];
    try {
      for (const fail of [true, false]) {
        const seen: string[] = [];
        let halfFiles = 0;
        const r = runScript({ ...env, ...(fail ? { FAKE_FAIL: '1' } : {}) });
        runs.push(r);
        const watch = setInterval(() => {
          const p = readBuildProgress(join(out, 'mediasoup-worker'));
          if (p.kind === 'ok' && seen.at(-1) !== `${p.progress.stage} ${p.progress.percent}`)
            seen.push(`${p.progress.stage} ${p.progress.percent}`);
          if (p.kind === 'unknown') halfFiles++;
        }, 20);
        let code: number | null;
        try {
          code = await finished(r, 60_000);
        } finally {
          clearInterval(watch);
        }
        assert.equal(halfFiles, 0, 'a reader never sees half a file');
        const last = readBuildProgress(join(out, 'mediasoup-worker'));
        assert.equal(last.kind, 'ok');
        const p = last.kind === 'ok' ? last.progress : undefined;
        // The previous run's 'failed' file is there until this run writes its first progress.
        const mine = seen.slice(seen.findIndex((x) => !x.startsWith('failed ')));
        const percents = mine.filter((x) => !x.startsWith('failed ')).map((x) => Number(x.split(' ')[1]));
        assert.deepEqual(
          percents,
          [...percents].sort((a, b) => a - b),
          `the percent only grows: ${seen.join(', ')}`,
        );
        const stages = mine.map((x) => x.split(' ')[0] ?? '');
        const rank = ['packages', 'configure', 'compile', 'done', 'failed'];
        assert.deepEqual(
          stages,
          [...stages].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)),
          `stages in order: ${seen.join(', ')}`,
        );
        assert.ok(
          percents.filter((n, i) => stages[i] === 'compile' && n > 20).length >= 2,
          `compile progress from ninja's status lines: ${seen.join(', ')}`,
        );
        if (fail) {
          assert.equal(code, 1);
          assert.equal(p?.stage, 'failed');
          assert.match(
            p?.message ?? '',
            new RegExp(
              `stage compile \\(exit 1\\): \\.\\./src/RTC/Thing\\.cpp:1:1: error: boom; log: ${join(out, 'build.log')}`,
            ),
          );
          assert.match(
            readFileSync(join(out, 'build.log'), 'utf8'),
            /\[4\/4\] Compiling C\+\+ object 4\n.*error: boom/,
          );
          assert.equal(existsSync(join(out, 'mediasoup-worker')), false);
        } else {
          assert.equal(code, 0, r.stderr);
          assert.equal(p?.stage, 'done');
          assert.equal(p?.percent, 100);
          assert.equal(r.stdout.trim().split('\n').pop(), join(out, 'mediasoup-worker'));
          assert.equal(readFileSync(join(out, 'recipe'), 'utf8').trim(), recipe());
        }
      }
    } finally {
      for (const r of runs) kill(r.child);
      dir.cleanup();
    }
  },
);
