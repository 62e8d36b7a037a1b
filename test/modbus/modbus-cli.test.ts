import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ModbusSlaveSim } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import { CLI } from '../helpers/env.js';

/** Run the CLI as a child without blocking this process, where the simulated sensors live. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('classedge modbus scan | set-address | read: commissioning a bus as a technician would', async () => {
  const pty = await openPtyPair();
  const sim = new ModbusSlaveSim({
    path: pty.b,
    baudRate: 9600,
    slaves: [
      { address: 1, profile: 'jxct-gas' },
      { address: 5, profile: 'jxct-th' },
    ],
  });
  await sim.start();
  try {
    const scan = await cli([
      'modbus',
      'scan',
      '--port',
      pty.a,
      '--bauds',
      '9600',
      '--from',
      '1',
      '--to',
      '8',
      '--timeout',
      '60',
      '--json',
    ]);
    assert.equal(scan.code, 0, scan.stderr);
    assert.deepEqual(
      JSON.parse(scan.stdout).map((f: { address: number }) => f.address),
      [1, 5],
    );

    const moved = await cli([
      'modbus',
      'set-address',
      '--port',
      pty.a,
      '--profile',
      'jxct-th',
      '--from',
      '5',
      '--to',
      '9',
      '--frames',
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(JSON.parse(moved.stdout), { profile: 'jxct-th', from: 5, to: 9, verified: true });
    assert.match(moved.stderr, /tx 05 06 01 00 00 09/, 'the raw write frame is shown');
    assert.equal(sim.written(9, 256), 9);

    sim.setValue(1, 'co2_ppm', 1234);
    const read = await cli(['modbus', 'read', '--port', pty.a, '--profile', 'jxct-gas', '--address', '1', '--json']);
    assert.equal(read.code, 0, read.stderr);
    // The simulated room keeps drifting (a few ppm a second) from the value set.
    assert.ok(Math.abs(JSON.parse(read.stdout).co2_ppm - 1234) < 40, read.stdout);

    const none = await cli([
      'modbus',
      'read',
      '--port',
      pty.a,
      '--profile',
      'jxct-gas',
      '--address',
      '2',
      '--timeout',
      '50',
    ]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /slave 2: no reply within 50 ms/);
    const badProfile = await cli(['modbus', 'read', '--port', pty.a, '--profile', 'toaster', '--address', '1']);
    assert.equal(badProfile.code, 2);
    assert.match(badProfile.stderr, /--profile.*jxct-gas/);
  } finally {
    await sim.stop();
    await pty.close();
  }
});
