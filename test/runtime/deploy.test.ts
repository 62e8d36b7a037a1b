import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { DockerfileParser } from 'dockerfile-ast';
import { CLI, ROOT, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { parseRole, udevRules } from '../../edge/provision/udev.js';
import { SdNotify } from '../../edge/runtime/sd-notify.js';
import { createLogger } from '../../edge/log.js';
import { ValidationError } from '../../edge/errors.js';
import { thrown } from '../helpers/env.js';

/** udev(7) rule grammar: comma-separated KEY[{attr}] OP "value"; match keys compare, others assign. */
function parseUdev(text: string): { key: string; attr?: string; op: string; value: string }[][] {
  const MATCH = new Set(['SUBSYSTEM', 'SUBSYSTEMS', 'KERNEL', 'KERNELS', 'ATTR', 'ATTRS', 'ENV', 'ACTION', 'DRIVERS']);
  const ASSIGN = new Set(['SYMLINK', 'GROUP', 'MODE', 'OWNER', 'ENV', 'TAG']);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((line) =>
      line.split(/,\s*/).map((pair) => {
        const m = /^([A-Z_]+)(?:\{([A-Za-z0-9_]+)\})?(==|!=|\+=|-=|:=|=)"([^"\\]*)"$/.exec(pair);
        if (!m) throw new Error(`not a udev key-value pair: ${pair}`);
        const [, key = '', attr, op = '', value = ''] = m;
        const isMatch = op === '==' || op === '!=';
        if (isMatch ? !MATCH.has(key) : !ASSIGN.has(key)) throw new Error(`${key} cannot be used with ${op}`);
        return { key, ...(attr ? { attr } : {}), op, value };
      }),
    );
}

test('udev rules name adapters by USB serial number; bad roles and serials are refused by name', async () => {
  const r = await run(process.execPath, [
    CLI,
    'udev-rules',
    '--role',
    'modbus=A50285BI',
    '--role',
    'panel=FT4232H9:01',
  ]);
  assert.equal(r.code, 0, r.err);
  const rules = parseUdev(r.out);
  assert.equal(rules.length, 2);
  const [modbus, panel] = rules;
  assert.deepEqual(modbus, [
    { key: 'SUBSYSTEM', op: '==', value: 'tty' },
    { key: 'ATTRS', attr: 'serial', op: '==', value: 'A50285BI' },
    { key: 'SYMLINK', op: '+=', value: 'classedge-modbus' },
    { key: 'GROUP', op: '=', value: 'dialout' },
    { key: 'MODE', op: '=', value: '0660' },
  ]);
  assert.deepEqual(
    panel?.find((p) => p.key === 'ENV'),
    { key: 'ENV', attr: 'ID_USB_INTERFACE_NUM', op: '==', value: '01' },
  );

  const bad = await run(process.execPath, [CLI, 'udev-rules', '--role', 'modbus=A5"0']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /\/serial/);
  const e = thrown(() => parseRole('Modbus=X1:zz'));
  assert.ok(e instanceof ValidationError);
  assert.deepEqual(
    e.issues.map((i) => i.path),
    ['/role', '/interface'],
  );
  assert.throws(() => udevRules([parseRole('a=1'), parseRole('a=2')]), /each role once/);
});

test('the systemd unit verifies and keeps its exposure low; the kiosk launcher waits for the appliance', async () => {
  const shipped = join(ROOT, 'deploy', 'systemd', 'classedge.service');
  const text = readFileSync(shipped, 'utf8');
  // The unit runs the project's Node (24 LTS) where scripts/install-node.sh puts it on a box.
  assert.match(
    text,
    /^ExecStart=\/opt\/classedge\/node\/bin\/node \/opt\/classedge\/current\/bin\/classedge\.js start$/m,
  );
  // systemd-analyze verify insists that the command exists: verify a copy that names this run's Node.
  const unitDir = tempDir('classedge-unit-');
  const unit = join(unitDir.path, 'classedge.service');
  writeFileSync(unit, text.replace('/opt/classedge/node/bin/node', process.execPath));
  const v = await run('systemd-analyze', ['verify', '--man=no', unit]);
  assert.equal(v.code, 0, v.err);
  assert.equal(v.err.trim(), '', 'no warnings (an unknown or misspelt directive is only a warning)');
  // systemd's own assessment of the sandbox, 0-100 (10 = "2.2 OK"): fail when it rises past 3.0.
  const sec = await run('systemd-analyze', ['security', '--offline=true', '--threshold=30', unit]);
  assert.equal(sec.code, 0, sec.out);
  unitDir.cleanup();
  for (const line of [
    'User=classedge',
    'SupplementaryGroups=dialout',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ReadWritePaths=/var/lib/classedge',
    'Restart=on-failure',
    'Type=notify',
    'NotifyAccess=all',
  ]) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.match(text, /^WatchdogSec=\d+$/m);

  const dir = tempDir('classedge-kiosk-');
  const app = await spawnAppliance(dir.path);
  try {
    const url = `http://127.0.0.1:${app.httpPort}/`;
    // Started before the appliance answers, it waits; then it prints the browser line (dry run).
    const launcher = run('sh', [join(ROOT, 'deploy', 'kiosk', 'classedge-kiosk.sh')], {
      env: {
        CLASSEDGE_KIOSK_URL: url,
        CLASSEDGE_KIOSK_DRY_RUN: '1',
        CLASSEDGE_KIOSK_PROFILE: join(dir.path, 'profile'),
        CLASSEDGE_KIOSK_WAIT_S: '60',
      },
    });
    await healthy(app);
    const k = await launcher;
    assert.equal(k.code, 0, k.err);
    const argv = k.out.trim().split('\n');
    assert.ok(existsSync(argv[0] ?? '') || /chromium/.test(argv[0] ?? ''), argv[0]);
    assert.ok(argv.includes('--kiosk'));
    assert.ok(argv.includes(`--app=${url}`));
    const none = await run('sh', [join(ROOT, 'deploy', 'kiosk', 'classedge-kiosk.sh')], {
      env: { CLASSEDGE_KIOSK_URL: 'http://127.0.0.1:1/', CLASSEDGE_KIOSK_WAIT_S: '1', CLASSEDGE_KIOSK_DRY_RUN: '1' },
    });
    assert.equal(none.code, 1);
    assert.match(none.err, /did not answer/);
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    dir.cleanup();
  }
});

/** A real unix datagram socket, received by socat (Node cannot bind one): what systemd would read. */
async function notifySocket(dir: string): Promise<{ path: string; lines: string[]; stop(): void }> {
  const path = join(dir, 'notify');
  const lines: string[] = [];
  const c = spawn('socat', ['-u', `UNIX-RECV:${path}`, '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
  c.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  await waitFor(() => existsSync(path) || undefined, 'notify socket');
  return { path, lines, stop: () => c.kill() };
}

test('sd_notify: READY=1 once serving, WATCHDOG=1 only while healthy, STOPPING=1 on shutdown', async () => {
  const dir = tempDir('classedge-notify-');
  const sock = await notifySocket(dir.path);
  try {
    // The appliance as systemd starts it.
    const app = await spawnAppliance(join(dir.path, 'data'), [], { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '200000' });
    await healthy(app);
    await waitFor(
      () => (sock.lines.filter((l) => l === 'WATCHDOG=1').length >= 3 ? true : undefined),
      'watchdog fed',
      15_000,
    );
    assert.ok(sock.lines.includes('READY=1'));
    assert.ok(sock.lines.indexOf('READY=1') < sock.lines.indexOf('WATCHDOG=1'), 'ready before the first watchdog');
    assert.ok(sock.lines.some((l) => l.startsWith('STATUS=serving')));
    app.child.kill('SIGTERM');
    await app.exited;
    await waitFor(() => sock.lines.includes('STOPPING=1') || undefined, 'STOPPING=1');

    // Health decides: nothing is sent while unhealthy, feeding resumes when healthy again.
    sock.lines.length = 0;
    let ok = true;
    const n = SdNotify.fromEnv(createLogger({ level: 'silent' }), { NOTIFY_SOCKET: sock.path });
    assert.ok(n);
    n.startWatchdog(50, () => ok);
    await waitFor(() => (sock.lines.length >= 2 ? true : undefined), 'fed while healthy');
    ok = false;
    await new Promise((r) => setTimeout(r, 200));
    const stopped = sock.lines.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(sock.lines.length, stopped, 'no WATCHDOG=1 while unhealthy');
    ok = true;
    await waitFor(() => (sock.lines.length > stopped ? true : undefined), 'fed again');
    n.close();
    assert.equal(SdNotify.watchdogMs({ WATCHDOG_USEC: '30000000' }), 15000);
    assert.equal(
      SdNotify.watchdogMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 2),
      undefined,
      'meant for another process',
    );
    assert.equal(SdNotify.fromEnv(createLogger({ level: 'silent' }), {}), undefined);
  } finally {
    sock.stop();
    dir.cleanup();
  }
});

test('Dockerfile.arm64 passes the Dockerfile linter and is multi-stage, non-root, with data on a volume', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile.arm64'), 'utf8');
  const problems = validate(text, {});
  assert.deepEqual(
    problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
    [],
  );
  // The linter does find problems: a broken file is not silently accepted.
  assert.ok(validate('FROM node:24\nCOPY a\nEXPOSE abc\n', {}).length >= 2);
  const df = DockerfileParser.parse(text);
  const froms = df.getFROMs();
  assert.equal(froms.length, 2, 'multi-stage');
  for (const f of froms) assert.equal(`${f.getImageName() ?? ''}:${f.getImageTag() ?? ''}`, 'node:24-bookworm-slim');
  const stages = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
  const instr = df.getInstructions();
  const last = froms[1]?.getRange().start.line ?? 0;
  const final = instr.filter((i) => i.getRange().start.line > last);
  const user = final.filter((i) => i.getKeyword() === 'USER').at(-1);
  assert.equal(user?.getArgumentsContent(), 'classedge', 'runs as its own user');
  assert.ok(
    final.some((i) => i.getKeyword() === 'VOLUME' && /\/var\/lib\/classedge/.test(i.getArgumentsContent() ?? '')),
  );
  assert.ok(final.some((i) => i.getKeyword() === 'HEALTHCHECK'));
  // Every COPY source exists: in the repository, or in a named earlier stage.
  for (const i of instr.filter((x) => x.getKeyword() === 'COPY')) {
    const args = (text.split('\n')[i.getRange().start.line] ?? '').trim().split(/\s+/).slice(1);
    const from = args.find((a) => a.startsWith('--from='))?.slice(7);
    const srcs = args.filter((a) => !a.startsWith('--')).slice(0, -1);
    if (from) assert.ok(stages.has(from), `COPY --from=${from}: no such stage`);
    else for (const s of srcs) assert.ok(existsSync(join(ROOT, s)), `COPY ${s}: not in the repository`);
  }
});
