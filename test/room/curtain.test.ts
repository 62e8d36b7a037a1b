import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { tempDir, waitFor } from '../helpers/env.js';
import type { ModbusBus } from '../../firmware-bridge/modbus/modbus-bus.js';
import type { ModbusSimComponent } from '../../firmware-bridge/sim/modbus-sim-component.js';
import { Curtain } from '../../edge/room/curtain.js';
import type { SwitchChannel } from '../../edge/room/switch.js';

/*
 * A curtain motor on two relays of a real (simulated over a pty) relay board: the interlock that
 * never has both directions on, the stop after the travel time, and a board that does not confirm.
 */

const BOARD = 12;
let t: TestAppliance;
let dir: { path: string; cleanup(): void };

before(async () => {
  dir = tempDir('classedge-curtain-');
  t = await startTestAppliance(`components:
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(dir.path)}
    relays: [{ address: ${BOARD}, board: coil-relay-4 }]
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'appliance'))}
    pollIntervalMs: 300
    responseTimeoutMs: 400
    retries: 1
    relays:
      - address: ${BOARD}
        board: coil-relay-4
        channels: [{ relay: 1, id: curtain-open }, { relay: 2, id: curtain-close }]
`);
});
after(async () => {
  await t.stop();
  dir.cleanup();
});

const sim = () => (t.appliance.registry.get<ModbusSimComponent>('sim') as ModbusSimComponent).sim;
const relays = (): boolean[] => sim()?.board(BOARD)?.relays ?? [];
const ch = (id: string): SwitchChannel => {
  const c = (t.appliance.registry.get<ModbusBus>('bus') as ModbusBus).switches().find((s) => s.id === id);
  assert.ok(c);
  return c;
};

test('open runs the open relay only, stops by itself after the travel time, and the position is known from then', async () => {
  const c = new Curtain({ id: 'curtain', open: ch('curtain-open'), close: ch('curtain-close'), travelS: 1 });
  // Both relays are watched for the whole run: never on together.
  let both = false;
  const watch = setInterval(() => (both ||= relays()[0] === true && relays()[1] === true), 5);
  try {
    const s = await c.command('open');
    assert.equal(s.moving, 'opening');
    assert.equal(s.position, undefined, 'not known before a full travel');
    assert.deepEqual(relays().slice(0, 2), [true, false]);
    await waitFor(() => (c.status().moving === undefined ? true : undefined), 'stopped after travel', 5000);
    assert.deepEqual(relays().slice(0, 2), [false, false]);
    assert.equal(c.status().position, 1);
    // Close half way, then change direction: the open relay goes on only after close is confirmed off.
    await c.command('close');
    await new Promise((r) => setTimeout(r, 500));
    const turned = await c.command('open');
    assert.equal(turned.moving, 'opening');
    assert.deepEqual(relays().slice(0, 2), [true, false]);
    const p = c.status().position ?? -1;
    assert.ok(p > 0.2 && p < 0.9, `about half way: ${p}`);
    await c.command('stop');
    assert.deepEqual(relays().slice(0, 2), [false, false]);
    assert.equal(both, false, 'both directions were never on together');
  } finally {
    clearInterval(watch);
  }
});

test('the open relay welded on (it acknowledges off but reads back on): close never runs', async () => {
  const c = new Curtain({ id: 'curtain', open: ch('curtain-open'), close: ch('curtain-close'), travelS: 1 });
  await c.command('open');
  const board = sim()?.board(BOARD);
  assert.ok(board);
  board.stuck = true;
  try {
    const s = await c.command('close');
    assert.equal(s.moving, undefined);
    assert.match(s.lastError ?? '', /curtain-open not confirmed off/);
    assert.deepEqual(relays().slice(0, 2), [true, false], 'the close relay never went on beside the welded open one');
  } finally {
    board.stuck = false;
  }
  await c.command('stop');
  await waitFor(() => (relays()[0] === false ? true : undefined), 'open relay off once the board works', 30_000);
});

test('a board that does not confirm: the curtain does not move and says why', async () => {
  const c = new Curtain({ id: 'curtain', open: ch('curtain-open'), close: ch('curtain-close'), travelS: 1 });
  sim()?.setFault(BOARD, 'no-reply');
  try {
    const s = await c.command('close');
    assert.equal(s.moving, undefined);
    assert.match(s.lastError ?? '', /not confirmed off/);
  } finally {
    sim()?.setFault(BOARD, undefined);
  }
  // Back at the next read-back after the fault clears; a loaded machine (the bare-root run beside
  // other work) can take several polls of 400 ms timeouts to get there.
  await waitFor(() => (ch('curtain-open').status().state === 'off' ? true : undefined), 'board back', 30_000);
  assert.deepEqual(relays().slice(0, 2), [false, false]);
});
