import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { tempDir, waitFor } from '../helpers/env.js';
import type { ModbusBus } from '../../firmware-bridge/modbus/modbus-bus.js';
import type { ModbusSimComponent } from '../../firmware-bridge/sim/modbus-sim-component.js';
import type { ModbusFault } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import type { RelayBoardSlave } from '../../firmware-bridge/sim/relay-board-sim.js';
import type { LiveEvents } from '../../edge/messages.js';
import type { SwitchChannel, SwitchStatus } from '../../edge/room/switch.js';
import { MODBUS_BUS } from '../../edge/runtime/capabilities.js';

/*
 * Relay boards on the same RS-485 line as a sensor, through a socat pty pair to the simulator, which
 * answers with the boards' bytes. Every command is written, then read back; a board that does not
 * confirm leaves its relay unknown, and the bus writes it again until it does.
 */

const COILS = 10; // coil-relay-8: fresh air on relay 1, front lights on relay 2
const REGS = 11; // register-relay-4: back lights on relay 3

let t: TestAppliance;
let ptyDir: { path: string; cleanup(): void };
const events: LiveEvents['switch.state'][] = [];

function yaml(dir: string): string {
  return `components:
  - type: modbus-sim
    name: sim
    ptyDir: ${JSON.stringify(dir)}
    slaves:
      - { address: 1, profile: jxct-th }
    relays:
      - { address: ${COILS}, board: coil-relay-8 }
      - { address: ${REGS}, board: register-relay-4 }
  - type: modbus-bus
    name: bus-a
    port: ${JSON.stringify(join(dir, 'appliance'))}
    pollIntervalMs: 300
    responseTimeoutMs: 150
    retries: 1
    offlineAfterFailures: 2
    offlinePollIntervalMs: 1000
    lineQuietTimeoutMs: 200
    devices:
      - { address: 1, profile: jxct-th }
    relays:
      - address: ${COILS}
        board: coil-relay-8
        id: relays-a
        channels:
          - { relay: 1, id: fresh-air }
          - { relay: 2, id: lights-front }
      - address: ${REGS}
        board: register-relay-4
        channels:
          - { relay: 3, id: lights-back }
`;
}

const bus = (): ModbusBus => t.appliance.registry.get<ModbusBus>('bus-a') as ModbusBus;
const board = (address: number): RelayBoardSlave => {
  const b = (t.appliance.registry.get<ModbusSimComponent>('sim') as ModbusSimComponent).sim?.board(address);
  assert.ok(b, `simulated board ${address}`);
  return b;
};
const sim = (): ModbusSimComponent => t.appliance.registry.get<ModbusSimComponent>('sim') as ModbusSimComponent;
const sw = (id: string): SwitchChannel => {
  const found = bus()
    .switches()
    .find((s) => s.id === id);
  assert.ok(found, `switch ${id}`);
  return found;
};
const status = (id: string): SwitchStatus => sw(id).status();

before(async () => {
  ptyDir = tempDir('classedge-relay-');
  t = await startTestAppliance(yaml(ptyDir.path));
  t.appliance.bus.on('switch.state', (e) => events.push(e));
  // The first read-back makes every relay known (all off, as the board starts).
  await waitFor(
    () => (['fresh-air', 'lights-front', 'lights-back'].every((id) => status(id).state === 'off') ? true : undefined),
    'every relay read back once',
    10_000,
  );
});
after(async () => {
  await t.stop();
  ptyDir.cleanup();
});

test('a relay switched on and off is written, read back and confirmed, on both board families', async () => {
  const before = Date.now();
  const on = await sw('fresh-air').set(true);
  assert.equal(on.state, 'on');
  assert.equal(on.pending, undefined);
  assert.ok((on.confirmedAt ?? 0) >= before);
  assert.match(on.via, /bus-a, relay board relays-a \(address 10, coil-relay-8\), relay 1/);
  assert.deepEqual(board(COILS).relays.slice(0, 3), [true, false, false]);

  assert.equal((await sw('lights-back').set(true)).state, 'on');
  assert.deepEqual(board(REGS).relays, [false, false, true, false]);
  assert.equal((await sw('lights-back').set(false)).state, 'off');
  assert.equal((await sw('fresh-air').set(false)).state, 'off');
  assert.deepEqual(board(COILS).relays.slice(0, 2), [false, false]);
  // The kiosk sees each confirmed change as it happens.
  assert.ok(events.some((e) => e.id === 'fresh-air' && e.state === 'on'));
  assert.ok(events.some((e) => e.id === 'lights-back' && e.state === 'off'));
  // The boards are listed beside the sensor for the technician.
  const listed = t.appliance.registry.find(MODBUS_BUS)[0]?.slaves() ?? [];
  assert.deepEqual(
    listed.map((s) => `${s.id}:${s.profile}`),
    ['bus-a-1:jxct-th', 'relays-a:coil-relay-8', 'bus-a-11:register-relay-4'],
  );
});

for (const fault of ['no-reply', 'bad-crc', 'garbage', 'wrong-slave-id', 'truncated', 'stuck'] as const) {
  test(`fault "${fault}": the switch stays unknown, never on, and is written again until the board confirms`, async () => {
    const b = board(COILS);
    const writesBefore = b.writes.length;
    if (fault === 'stuck') b.stuck = true;
    else sim().sim?.setFault(COILS, fault as ModbusFault);
    try {
      const s = await sw('lights-front').set(true);
      assert.equal(s.state, 'unknown', JSON.stringify(s));
      assert.equal(s.pending, 'on');
      assert.ok(s.lastError, 'the reason is kept');
      if (fault === 'stuck') assert.match(s.lastError ?? '', /read back off after switching on/);
      if (fault === 'no-reply') assert.match(s.lastError ?? '', /no reply/);
      // The bus keeps trying while the fault lasts, and never shows it on.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(status('lights-front').state, 'unknown');
      if (fault === 'stuck') {
        assert.ok(b.writes.length >= writesBefore + 2, 'written again');
        assert.ok((bus().status().counters?.relayMismatches ?? 0) >= 2, 'each wrong read-back counted');
      }
    } finally {
      b.stuck = false;
      sim().sim?.setFault(COILS, undefined);
    }
    await waitFor(
      () => (status('lights-front').state === 'on' ? true : undefined),
      'confirmed once the board answers',
      10_000,
    );
    assert.equal(status('lights-front').pending, undefined);
    assert.equal(status('lights-front').lastError, undefined);
    assert.equal(b.relays[1], true);
    assert.equal((await sw('lights-front').set(false)).state, 'off');
  });
}

test('a board that lost power (every relay dropped out) is put back as it was told, by the bus alone', async () => {
  assert.equal((await sw('fresh-air').set(true)).state, 'on');
  const rewrites = bus().status().counters?.relayRewrites ?? 0;
  board(COILS).powerCycle();
  await waitFor(
    () => (board(COILS).relays[0] === true && status('fresh-air').state === 'on' ? true : undefined),
    'fresh air switched on again after the board restarted',
    10_000,
  );
  assert.ok((bus().status().counters?.relayRewrites ?? 0) > rewrites, 'counted as a rewrite');
  assert.equal((await sw('fresh-air').set(false)).state, 'off');
});

test('unplugging the adapter: commands answer unknown with the port named; plugged back, they are carried out', async () => {
  await sim().stop();
  await waitFor(() => (bus().status().state === 'degraded' ? true : undefined), 'bus degraded', 5000);
  const s = await sw('lights-back').set(true);
  assert.equal(s.state, 'unknown');
  assert.equal(s.pending, 'on');
  assert.match(s.lastError ?? '', /not open|closed|i\/o error|no reply/);
  await sim().start();
  // A restarted simulator is a board that was powered off: the bus writes the relay again.
  await waitFor(
    () => (status('lights-back').state === 'on' && board(REGS).relays[2] === true ? true : undefined),
    'the relay switched once the adapter is back',
    20_000,
  );
  assert.equal((await fetch(`${t.httpUrl}/api/v1/health`)).status, 200);
});
