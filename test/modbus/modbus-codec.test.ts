import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc16, crcOk, withCrc } from '../../firmware-bridge/modbus/crc.js';
import {
  decodeRequest,
  decodeResponse,
  encodeBits,
  encodeCoilWriteEcho,
  encodeException,
  encodeRegisters,
  encodeRequest,
  interFrameMs,
  requestLength,
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

test("relay boards' frames: coil writes, multiple-coil writes and coil reads match the boards' published bytes", () => {
  // Frames as the manuals of the common 8-relay boards print them (slave 1, relay 1 = coil 0).
  assert.equal(encodeRequest({ fn: 5, address: 1, coil: 0, value: 'on' }).toString('hex'), '01050000ff008c3a');
  assert.equal(encodeRequest({ fn: 5, address: 1, coil: 0, value: 'off' }).toString('hex'), '010500000000cdca');
  assert.equal(encodeRequest({ fn: 1, address: 1, start: 0, count: 8 }).toString('hex'), '0101000000083dcc');
  const allOn = { fn: 15, address: 1, start: 0, states: new Array<boolean>(8).fill(true) } as const;
  assert.equal(encodeRequest(allOn).toString('hex'), '010f0000000801ffbed5');
  // Each request decodes on the board's side to what was sent, and each echo to the write.
  for (const req of [
    { fn: 5, address: 1, coil: 3, value: 'toggle' },
    { fn: 1, address: 9, start: 0, count: 16 },
    { fn: 15, address: 2, start: 4, states: [true, false, true, true, false, false, false, false, true] },
  ] as const)
    assert.deepEqual(decodeRequest(encodeRequest(req)), req);
  assert.deepEqual(decodeResponse(allOn, encodeCoilWriteEcho(allOn)), {
    kind: 'coils-written',
    address: 1,
    start: 0,
    count: 8,
  });
  // Relays 1, 3 and 9 of 10 on: bit 0 of the first byte is relay 1.
  const states = [true, false, true, false, false, false, false, false, true, false];
  const bits = encodeBits(1, 1, states);
  assert.equal(bits.subarray(2, 5).toString('hex'), '020501');
  assert.deepEqual(decodeResponse({ fn: 1, address: 1, start: 0, count: 10 }, bits), {
    kind: 'bits',
    address: 1,
    values: states,
  });
});

for (const [name, req, frame, pattern] of [
  [
    'coil echo of another value',
    { fn: 5, address: 1, coil: 0, value: 'on' },
    encodeCoilWriteEcho({ fn: 5, address: 1, coil: 0, value: 'off' }),
    /write echo coil 0 = 0x0000, expected coil 0 = 0xff00/,
  ],
  [
    'coil echo of another coil',
    { fn: 5, address: 1, coil: 2, value: 'on' },
    encodeCoilWriteEcho({ fn: 5, address: 1, coil: 3, value: 'on' }),
    /write echo coil 3 = 0xff00, expected coil 2/,
  ],
  [
    'multiple-coil echo of another count',
    { fn: 15, address: 1, start: 0, states: [true, true] },
    encodeCoilWriteEcho({ fn: 15, address: 1, start: 0, states: [true, true, true] }),
    /write echo 3 coils from 0, expected 2 from 0/,
  ],
  [
    'bits of the wrong byte count',
    { fn: 1, address: 1, start: 0, count: 8 },
    encodeBits(1, 1, new Array<boolean>(9).fill(false)),
    /byte 2: byte count 2, expected 1/,
  ],
  [
    'registers for a coil read',
    { fn: 1, address: 1, start: 0, count: 8 },
    encodeRegisters(1, 3, [1]),
    /byte 1: function 0x03, expected 0x01/,
  ],
] as const) {
  test(`relay reply refused with the byte named: ${name}`, () => {
    const err = thrown(() => decodeResponse(req, frame));
    assert.ok(err instanceof ProtocolError, String(err));
    assert.match((err as Error).message, pattern);
  });
}

test('relay requests outside the protocol are refused: coil value, coil count, bit count', () => {
  assert.throws(
    () => decodeRequest(withCrc(Buffer.from([1, 5, 0, 0, 0x12, 0x34]))),
    /bytes 4-5: coil value 0x1234, expected 0xff00, 0x0000 or 0x5500/,
  );
  assert.throws(() => decodeRequest(withCrc(Buffer.from([1, 15, 0, 0, 0, 9, 1, 0xff]))), /9 coils in 1 bytes/);
  assert.throws(() => encodeRequest({ fn: 15, address: 1, start: 0, states: [] }), /coil count 0/);
  assert.throws(() => encodeRequest({ fn: 1, address: 1, start: 0, count: 2001 }), /bit count 2001: expected 1..2000/);
  assert.throws(() => encodeRequest({ fn: 5, address: 1, coil: 70000, value: 'on' }), /coil 70000/);
  // A 0F request is as long as its byte count says; until then it is not complete.
  assert.equal(requestLength(Buffer.from([1, 15, 0, 0, 0, 16])), undefined);
  assert.equal(requestLength(Buffer.from([1, 15, 0, 0, 0, 16, 2])), 11);
  assert.equal(requestLength(Buffer.from([1, 3])), 8);
});
