import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rosterCsv } from '../helpers/roster.js';
import { CLI, tempDir } from '../helpers/env.js';
import { buildProgram } from '../../edge/cli/main.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { connect } from '../helpers/mqtt.js';
import type { Command } from 'commander';
import { findProgram } from '../../edge/runtime/programs.js';
import { profileIds } from '../../firmware-bridge/modbus/profile.js';

function cli(args: string[], opts: { dataDir: string; input?: string; env?: NodeJS.ProcessEnv }) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, CLASSEDGE_DATA_DIR: opts.dataDir, ...opts.env },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) as any };
}

function allCommands(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path, ...allCommands(c, path)];
  });
}

test('--help works on every command and every command that prints data takes --json', () => {
  const dir = tempDir();
  try {
    const commands = allCommands(buildProgram());
    assert.ok(commands.length >= 10);
    for (const path of commands) {
      const r = cli([...path, '--help'], { dataDir: dir.path });
      assert.equal(r.status, 0, `${path.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, /Usage: classedge/);
    }
    const leaves = commands.filter(
      (p) => !commands.some((q) => q.length > p.length && q.slice(0, p.length).join(' ') === p.join(' ')),
    );
    for (const path of leaves.filter((p) => p[0] !== 'start' && p.join(' ') !== 'config show')) {
      assert.match(cli([...path, '--help'], { dataDir: dir.path }).stdout, /--json/, `${path.join(' ')} lacks --json`);
    }
  } finally {
    dir.cleanup();
  }
});

test('device add | list | rotate | remove, as a technician would, with --json', async () => {
  const dir = tempDir();
  try {
    const add = cli(['device', 'add', 'co2-front', '--kind', 'sensor', '--description', 'front wall', '--json'], {
      dataDir: dir.path,
    });
    assert.equal(add.status, 0, add.stderr);
    const creds = add.json();
    assert.equal(creds.mqtt.username, 'co2-front');
    assert.ok(creds.mqtt.password.length >= 24);
    const human = cli(['device', 'add', 'door-reader', '--kind', 'card-reader'], { dataDir: dir.path });
    assert.match(human.stdout, /MQTT password: \S{24,}/);
    assert.match(human.stdout, /shown only now/);
    const dup = cli(['device', 'add', 'co2-front', '--kind', 'sensor'], { dataDir: dir.path });
    assert.equal(dup.status, 2);
    assert.match(dup.stderr, /already exists/);
    const bad = cli(['device', 'add', 'Bad Id', '--kind', 'toaster'], { dataDir: dir.path });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /\/id.*\/kind/s);
    const list = cli(['device', 'list', '--json'], { dataDir: dir.path }).json();
    assert.deepEqual(
      list.map((d: { id: string }) => d.id),
      ['co2-front', 'door-reader'],
    );
    assert.ok(!JSON.stringify(list).includes(creds.mqtt.password));

    // The credentials work against a running appliance on the same data directory, until rotated.
    const app = await spawnAppliance(dir.path);
    try {
      await healthy(app);
      const url = `mqtt://127.0.0.1:${app.mqttPort}`;
      const c = await connect(url, { username: 'co2-front', password: creds.mqtt.password });
      c.end(true);
      const rotated = cli(['device', 'rotate', 'co2-front', '--json'], { dataDir: dir.path }).json();
      await assert.rejects(connect(url, { username: 'co2-front', password: creds.mqtt.password }));
      (await connect(url, { username: 'co2-front', password: rotated.mqtt.password })).end(true);
      assert.equal(cli(['device', 'remove', 'co2-front'], { dataDir: dir.path }).status, 0);
      await assert.rejects(connect(url, { username: 'co2-front', password: rotated.mqtt.password }));
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    assert.equal(cli(['device', 'remove', 'co2-front'], { dataDir: dir.path }).status, 2);
  } finally {
    dir.cleanup();
  }
});

test('user add | passwd | list: secrets from standard input, rules enforced, audited', () => {
  const dir = tempDir();
  try {
    assert.equal(
      cli(['user', 'add', 'it-li', '--role', 'admin'], { dataDir: dir.path, input: 'Adm1n-Passw0rd!\n' }).status,
      0,
    );
    const weak = cli(['user', 'add', 'wang', '--role', 'teacher'], { dataDir: dir.path, input: '123456\n' });
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /\/pin/);
    assert.equal(
      cli(['user', 'add', 'wang', '--role', 'teacher', '--display-name', '王老师'], {
        dataDir: dir.path,
        input: '593817\n',
      }).status,
      0,
    );
    assert.equal(cli(['user', 'passwd', 'wang'], { dataDir: dir.path, input: '604182\n' }).status, 0);
    const users = cli(['user', 'list', '--json'], { dataDir: dir.path }).json();
    assert.deepEqual(
      users.map((u: { username: string; role: string }) => `${u.role}:${u.username}`),
      ['admin:it-li', 'teacher:wang'],
    );
    assert.ok(!JSON.stringify(users).includes('scrypt'), 'no hashes in listings');
    assert.match(cli(['user', 'list'], { dataDir: dir.path }).stdout, /王老师/);
  } finally {
    dir.cleanup();
  }
});

test('roster import: a good file is imported; a bad one is refused by line and field and changes nothing', () => {
  const dir = tempDir();
  try {
    const good = join(dir.path, 'roster.csv');
    writeFileSync(good, rosterCsv(12));
    const ok = cli(['roster', 'import', good, '--json'], { dataDir: dir.path });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(ok.json(), { classes: 1, students: 12, deactivated: 0, consents: 0, encoding: 'utf-8' });
    const bad = join(dir.path, 'bad.csv');
    writeFileSync(bad, `${rosterCsv(2)}g2c3,二年级(3)班,2026099,,,\n`);
    const r = cli(['roster', 'import', bad], { dataDir: dir.path });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /line 4, name/);
  } finally {
    dir.cleanup();
  }
});

test('doctor: says what to fix when the appliance is down, is green when it runs', async () => {
  const dir = tempDir();
  try {
    const down = cli(['doctor', '--json', '--http-port', '1', '--mqtt-port', '2'], { dataDir: dir.path });
    const report = down.json();
    const byName = new Map(report.checks.map((c: { name: string }) => [c.name, c]));
    assert.equal((byName.get('api') as { status: string }).status, 'warn');
    assert.match((byName.get('api') as { fix: string }).fix, /classedge start/);
    assert.match((byName.get('database') as { fix: string }).fix, /first classedge start/);
    for (const n of ['config', 'data-dir', 'disk', 'clock', 'serial-ports', 'database', 'ports'])
      assert.ok(byName.has(n), n);

    const app = await spawnAppliance(dir.path);
    try {
      await healthy(app);
      const up = cli(['doctor', '--json'], {
        dataDir: dir.path,
        env: { CLASSEDGE_HTTP_PORT: String(app.httpPort), CLASSEDGE_MQTT_PORT: String(app.mqttPort) },
      });
      const checks = new Map(up.json().checks.map((c: { name: string; status: string }) => [c.name, c.status]));
      assert.equal(checks.get('api'), 'ok');
      assert.equal(checks.get('broker'), 'ok');
      assert.equal(checks.get('database'), 'ok');
      assert.equal(checks.get('audit-log'), 'ok');
      assert.equal(checks.get('accounts'), 'warn');
      assert.equal(up.status, 0, up.stdout);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    const broken = cli(['doctor', '--json', '--http-port', '1', '--mqtt-port', '2'], {
      dataDir: join(dir.path, 'missing'),
    });
    assert.match(broken.stdout, /does not exist/);
    assert.equal(broken.status, 1);
  } finally {
    dir.cleanup();
  }
});

test('doctor: a configured component whose program is missing is named with its package', { timeout: 60_000 }, () => {
  const dir = tempDir();
  try {
    // An empty PATH directory: arecord (audio-alsa) and socat (modbus-sim) cannot be found; the
    // camera's ffmpeg is configured at a path that does not exist; a disabled component is ignored.
    const emptyBin = join(dir.path, 'bin');
    mkdirSync(emptyBin);
    const config = join(dir.path, 'config.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(dir.path)}`,
        'components:',
        '  - { type: audio-alsa, name: mics }',
        `  - { type: modbus-sim, name: sensors-sim, ptyDir: ${JSON.stringify(join(dir.path, 'pty'))}, slaves: [{ address: 1, profile: ${JSON.stringify(profileIds()[0])} }] }`,
        `  - { type: camera-ffmpeg, name: front-camera, source: rtsp://cam/1, ffmpegPath: ${JSON.stringify(join(dir.path, 'no-ffmpeg'))} }`,
        '  - { type: camera-ffmpeg, name: spare-camera, source: rtsp://cam/2, enabled: false }',
        '',
      ].join('\n'),
    );
    const r = cli(['doctor', '--json', '--config', config, '--http-port', '1', '--mqtt-port', '2'], {
      dataDir: dir.path,
      env: { PATH: emptyBin },
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const check = (r.json().checks as { name: string; status: string; detail: string; fix?: string }[]).find(
      (c) => c.name === 'programs',
    );
    assert.equal(check?.status, 'fail', JSON.stringify(check));
    assert.match(check.detail, /arecord is missing, needed by audio-alsa 'mics'; Debian package alsa-utils/);
    assert.match(check.detail, /socat is missing, needed by modbus-sim 'sensors-sim'; Debian package socat/);
    assert.match(
      check.detail,
      /ffmpeg \(.*no-ffmpeg\) is missing, needed by camera-ffmpeg 'front-camera'; Debian package ffmpeg/,
    );
    assert.doesNotMatch(check.detail, /spare-camera/);
    assert.match(
      check.fix ?? '',
      /^apt-get install alsa-utils socat ffmpeg, or correct the configured path \(.*no-ffmpeg\)$/,
    );

    // On this machine's PATH (the packages npm test installs), the camera at a real ffmpeg: ok.
    const realFfmpeg = findProgram('ffmpeg');
    assert.ok(realFfmpeg, 'ffmpeg on PATH');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(JSON.stringify(join(dir.path, 'no-ffmpeg')), JSON.stringify(realFfmpeg)),
    );
    const ok = cli(['doctor', '--json', '--config', config, '--http-port', '1', '--mqtt-port', '2'], {
      dataDir: dir.path,
    });
    const green = (ok.json().checks as { name: string; status: string; detail: string }[]).find(
      (c) => c.name === 'programs',
    );
    assert.equal(green?.status, 'ok', green?.detail);
    assert.match(green.detail, /arecord/);
  } finally {
    dir.cleanup();
  }
});

// How fast it starts is the bench's startup_ms (a timed assertion here failed under load, not in code).
test('classedge start --demo serves health and the simulated sensor reaches the store', async () => {
  const dir = tempDir();
  try {
    // --demo uses ./.classedge-demo: run it from a temp working directory.
    const child = spawn(
      process.execPath,
      [CLI, 'start', '--demo', '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        // Bounded wait, not a speed check: the first start hashes the two demo accounts (scrypt N=2^17), slow on a
        // loaded machine.
        const timer = setTimeout(() => reject(new Error(`no banner: ${err}`)), 60_000);
        child.stderr.on('data', () => {
          const m = /Health:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      assert.equal(res.status, 200);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/session/teacher`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'teacher', pin: '258036' }),
      });
      assert.equal(login.status, 200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      let latest: { deviceId: string; metric: string }[] = [];
      for (let i = 0; i < 50 && latest.length === 0; i++) {
        latest = (await (
          await fetch(`http://127.0.0.1:${port}/api/v1/readings/latest`, { headers: { cookie } })
        ).json()) as typeof latest;
        if (latest.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(latest.some((r) => r.deviceId === 'demo-air-1' && r.metric === 'co2_ppm'));
      // The demo's room: relays on the RS-485 line and a Wi-Fi switch, each confirmed by its device.
      let room:
        { enabled: boolean; switches: { id: string; label?: string; status?: { state: string } }[] } | undefined;
      for (let i = 0; i < 100; i++) {
        room = (await (
          await fetch(`http://127.0.0.1:${port}/api/v1/room`, { headers: { cookie } })
        ).json()) as typeof room;
        if (room?.switches.every((x) => x.status && x.status.state !== 'unknown')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(room?.enabled, true);
      assert.deepEqual(
        room?.switches
          .map((x) => `${x.label ?? ''}:${x.status?.state ?? 'none'}`)
          .map((x) => x.replace(/:(on|off)$/, ':ok')),
        ['新风机:ok', '前排灯:ok', '后排灯:ok', '黑板灯:ok'],
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    dir.cleanup();
  }
});
