import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { openSerial, closeSerial } from '../../firmware-bridge/serial/serial-link.js';
import { RtuMaster } from '../../firmware-bridge/modbus/rtu-master.js';
import { ModbusSlaveSim } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import { decodePoints, loadProfiles } from '../../firmware-bridge/modbus/profile.js';
import { ROOT } from '../helpers/env.js';
import { run } from '../helpers/run.js';

test('mbpoll (an independent Modbus master) reads our simulator over a pty', async () => {
  const pty = await openPtyPair();
  const sim = new ModbusSlaveSim({ path: pty.b, baudRate: 9600, slaves: [{ address: 7, profile: 'jxct-th' }] });
  await sim.start();
  try {
    sim.setValue(7, 'humidity_pct', 45.5);
    sim.setValue(7, 'temperature_c', -10);
    // -t 4: holding registers, -0: zero-based, -1: one poll; mbpoll prints the unsigned and signed value.
    const r = await run('mbpoll', [
      '-m',
      'rtu',
      '-b',
      '9600',
      '-P',
      'none',
      '-a',
      '7',
      '-t',
      '4',
      '-r',
      '0',
      '-0',
      '-c',
      '2',
      '-1',
      '-o',
      '1',
      pty.a,
    ]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\[0\]:\s+455\b/);
    assert.match(r.out, /\[1\]:\s+65436 \(-100\)/);
  } finally {
    await sim.stop();
    await pty.close();
  }
});

test('our master reads and re-addresses a pymodbus RTU slave', async () => {
  const pty = await openPtyPair();
  const slave = spawn(
    '/usr/bin/python3',
    [join(ROOT, 'test', 'fixtures', 'pymodbus_slave.py'), pty.b, '3', '0=455', '1=65436', '256=3'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  slave.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      slave.stdout.on('data', (d: Buffer) => /ready/.test(d.toString()) && resolve());
      slave.once('exit', (code) => reject(new Error(`pymodbus slave exited ${code}: ${log}`)));
    });
    const port = await openSerial({ path: pty.a, baudRate: 9600, parity: 'none' });
    const master = new RtuMaster({
      port,
      baudRate: 9600,
      responseTimeoutMs: 1000,
      usbLatencyMs: 20,
      writeTimeoutMs: 1000,
    });
    try {
      const res = await master.request({ fn: 3, address: 3, start: 0, count: 2 });
      assert.equal(res.kind, 'registers');
      const values = res.kind === 'registers' ? res.values : [];
      const metrics = decodePoints(loadProfiles().get('jxct-th')!, (_fn, r) => values[r] ?? 0);
      assert.deepEqual(metrics, { humidity_pct: 45.5, temperature_c: -10 });
      const w = await master.request({ fn: 6, address: 3, register: 256, value: 9 });
      assert.deepEqual(w, { kind: 'written', address: 3, register: 256, value: 9 });
      const back = await master.request({ fn: 3, address: 3, start: 256, count: 1 });
      assert.deepEqual(back.kind === 'registers' ? back.values : [], [9]);
    } finally {
      master.close();
      await closeSerial(port);
    }
  } finally {
    slave.kill('SIGTERM');
    await pty.close();
  }
});
