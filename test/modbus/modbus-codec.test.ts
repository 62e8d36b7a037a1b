import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc16, crcOk, withCrc } from '../../firmware-bridge/modbus/crc.js';
import {
  decodeRequest,
  decodeResponse,
  encodeException,
  encodeRegisters,
  encodeRequest,
  interFrameMs,
  type ModbusRequest,
} from '../../firmware-bridge/modbus/codec.js';
import {
  decodePoints,
  encodePoint,
  loadProfiles,
  parseProfile,
  planReads,
} from '../../firmware-bridge/modbus/profile.js';
import { ConfigError, ProtocolError } from '../../edge/errors.js';
import { thrown } from '../helpers/env.js';

const READ: ModbusRequest = { fn: 3, address: 1, start: 0, count: 2 };

test('CRC-16/MODBUS matches the published request 01 03 00 00 00 02 C4 0B', () => {
  assert.equal(encodeRequest(READ).toString('hex'), '010300000002c40b');
  assert.equal(crc16(Buffer.from('123456789')), 0x4b37);
  assert.ok(crcOk(Buffer.from('010300000002c40b', 'hex')));
  assert.ok(!crcOk(Buffer.from('010300000002c40c', 'hex')));
});

test('a register reply decodes to its values; an exception reply decodes to its code', () => {
  const reply = encodeRegisters(1, 3, [0x01c2, 0xff9c]);
  assert.deepEqual(decodeResponse(READ, reply), { kind: 'registers', address: 1, values: [450, 0xff9c] });
  assert.deepEqual(decodeResponse(READ, encodeException(1, 3, 2)), { kind: 'exception', address: 1, fn: 3, code: 2 });
});

for (const [name, frame, pattern] of [
  ['garbage', randomBytes(9), /CRC|slave|function|count/],
  ['truncated', encodeRegisters(1, 3, [1, 2]).subarray(0, 4), /truncated/],
  ['oversize', Buffer.alloc(300, 1), /exceeds 256/],
  ['bad CRC', Buffer.from([...encodeRegisters(1, 3, [1, 2]).subarray(0, 7), 0, 0]), /CRC mismatch/],
  ['wrong slave', encodeRegisters(2, 3, [1, 2]), /byte 0: reply from slave 2, expected 1/],
  ['wrong function', encodeRegisters(1, 4, [1, 2]), /byte 1: function 0x04, expected 0x03/],
  ['wrong byte count', encodeRegisters(1, 3, [1, 2, 3]), /byte 2: byte count 6, expected 4/],
  ['empty', Buffer.alloc(0), /truncated/],
] as const) {
  test(`reply refused with the byte named: ${name}`, () => {
    const err = thrown(() => decodeResponse(READ, frame));
    assert.ok(err instanceof ProtocolError, String(err));
    assert.match((err as Error).message, pattern);
  });
}

test('the simulator side refuses garbage, short and unsupported requests', () => {
  assert.throws(() => decodeRequest(randomBytes(8)), ProtocolError);
  assert.throws(() => decodeRequest(Buffer.from([1, 3, 0])), ProtocolError);
  assert.throws(() => decodeRequest(withCrc(Buffer.from([1, 0x10, 0, 0, 0, 1]))), /function 0x10 is not supported/);
  assert.deepEqual(decodeRequest(encodeRequest({ fn: 6, address: 3, register: 256, value: 7 })), {
    fn: 6,
    address: 3,
    register: 256,
    value: 7,
  });
});

test('requests outside the protocol are refused before they reach the wire', () => {
  assert.throws(() => encodeRequest({ fn: 3, address: 0, start: 0, count: 1 }), /slave address 0/);
  assert.throws(() => encodeRequest({ fn: 3, address: 248, start: 0, count: 1 }), /slave address 248/);
  assert.throws(() => encodeRequest({ fn: 3, address: 1, start: 0, count: 126 }), /register count 126/);
});

test('frame timing: 3.5 characters of 11 bits, fixed 1.75 ms above 19200 baud', () => {
  assert.ok(Math.abs(interFrameMs(9600) - 4.01) < 0.01);
  assert.ok(Math.abs(interFrameMs(4800) - 8.02) < 0.01);
  assert.equal(interFrameMs(38400), 1.75);
});

test('every shipped profile loads and round-trips its values through registers', () => {
  const profiles = loadProfiles();
  for (const id of ['jxct-th', 'jxct-pm', 'jxct-gas', 'jxct-light', 'xy-md02-x10', 'xy-md02-x100', 'noise-meter'])
    assert.ok(profiles.has(id), id);
  const sample: Record<string, number> = {
    humidity_pct: 48.5,
    temperature_c: -3.2,
    pm25_ugm3: 35,
    pm10_ugm3: 80,
    co2_ppm: 1234,
    tvoc_ppb: 310,
    illuminance_lx: 123456,
    noise_dba: 47.3,
  };
  for (const p of profiles.values()) {
    const regs = new Map<string, number>();
    for (const pt of p.points)
      encodePoint(pt, sample[pt.metric] ?? 0).forEach((w, i) => regs.set(`${pt.fn}:${pt.register + i}`, w));
    const back = decodePoints(p, (fn, r) => regs.get(`${fn}:${r}`) ?? 0);
    for (const pt of p.points)
      assert.ok(
        Math.abs((back[pt.metric] ?? NaN) - (sample[pt.metric] ?? 0)) < 0.011,
        `${p.id} ${pt.metric}: ${back[pt.metric]}`,
      );
  }
});

test('profile scaling, signedness and word order as the devices document them', () => {
  const p = loadProfiles();
  // JXCT temperature is signed x10: 0xFF9C = -100 -> -10.0 C.
  assert.equal(decodePoints(p.get('jxct-th')!, (_fn, r) => (r === 1 ? 0xff9c : 455)).temperature_c, -10);
  // JXCT light is 32-bit, high word first: 0x0001 0x86A0 = 100000 lx.
  assert.equal(decodePoints(p.get('jxct-light')!, (_fn, r) => (r === 7 ? 0x0001 : 0x86a0)).illuminance_lx, 100000);
  // XY-MD02 x100 firmware: 2345 -> 23.45 C, on input registers.
  assert.equal(
    decodePoints(p.get('xy-md02-x100')!, (fn, r) => (fn === 4 && r === 1 ? 2345 : 5000)).temperature_c,
    23.45,
  );
  // PM registers 4 and 9 are read in one request (gap of 4 unused registers).
  assert.deepEqual(planReads(p.get('jxct-pm')!), [{ fn: 3, start: 4, count: 6 }]);
  assert.deepEqual(planReads(p.get('jxct-light')!), [{ fn: 3, start: 7, count: 2 }]);
});

test('a broken profile file is refused with every problem and its name', () => {
  const err = thrown(() =>
    parseProfile(
      {
        id: 'x',
        name: 'bad',
        points: [
          { metric: 'radon_bq', fn: 3, register: 0, type: 'uint16' },
          { metric: 'co2_ppm', fn: 5, register: -1, type: 'float' },
        ],
      },
      'bad.json',
    ),
  );
  assert.ok(err instanceof ConfigError);
  assert.ok(err.issues.length >= 3, err.message);
  const ok = thrown(() =>
    parseProfile(
      { id: 'x', name: 'n', points: [{ metric: 'radon_bq', fn: 3, register: 0, type: 'uint16' }] },
      'x.json',
    ),
  );
  assert.ok(ok instanceof ConfigError && /radon_bq/.test(JSON.stringify(ok.issues)));
});
