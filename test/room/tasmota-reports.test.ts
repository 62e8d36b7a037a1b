import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTasmota } from '../../firmware-bridge/tasmota/tasmota-reports.js';

const b = (s: string): Buffer => Buffer.from(s);

test("Tasmota's reports as the firmware sends them: plain POWERn, RESULT and STATE JSON, LWT", () => {
  assert.deepEqual([...readTasmota('stat', 'POWER', b('ON')).power], [[1, true]]);
  assert.deepEqual([...readTasmota('stat', 'POWER2', b('OFF')).power], [[2, false]]);
  const state = readTasmota(
    'tele',
    'STATE',
    b(
      '{"Time":"2026-12-04T08:00:00","Uptime":"0T01:00:00","POWER1":"ON","POWER2":"OFF","Dimmer":60,"Wifi":{"RSSI":80}}',
    ),
  );
  assert.deepEqual(
    [...state.power],
    [
      [1, true],
      [2, false],
    ],
  );
  assert.equal(state.dimmer, 60);
  assert.equal(
    readTasmota('tele', 'SENSOR', b('{"Time":"2026-12-04T08:00:00","ENERGY":{"Total":12.3,"Power":850,"Voltage":221}}'))
      .powerW,
    850,
  );
  assert.equal(readTasmota('tele', 'SENSOR', b('{"ENERGY":{"Power":-5}}')).powerW, undefined);
  assert.equal(readTasmota('tele', 'LWT', b('Offline')).online, false);
  assert.equal(readTasmota('tele', 'LWT', b('Online')).online, true);
});

for (const [name, prefix, key, payload] of [
  ['garbage', 'stat', 'RESULT', Buffer.from([0xff, 0x00, 0x13, 0x37])],
  ['truncated JSON', 'stat', 'RESULT', b('{"POWER1":"O')],
  ['oversize', 'tele', 'STATE', b(`{"POWER1":"ON","x":"${'y'.repeat(70_000)}"}`)],
  ['a JSON array', 'stat', 'RESULT', b('["ON"]')],
  ['relay 9', 'stat', 'RESULT', b('{"POWER9":"ON"}')],
  ['a state that is neither', 'stat', 'POWER1', b('MAYBE')],
  ['a dimmer out of range', 'stat', 'RESULT', b('{"Dimmer":140}')],
  ['LWT under stat', 'stat', 'LWT', b('Offline')],
] as const) {
  test(`a report that says nothing usable is read as nothing: ${name}`, () => {
    const r = readTasmota(prefix, key, payload);
    if (name === 'oversize') {
      // Bounded by the broker's payload limit before it gets here; read as what it says.
      assert.deepEqual([...r.power], [[1, true]]);
      return;
    }
    assert.equal(r.power.size, 0);
    assert.equal(r.dimmer, undefined);
    assert.equal(r.online, undefined);
  });
}
