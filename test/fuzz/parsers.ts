import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ClassEdgeError, ConfigError, ProtocolError, ValidationError } from '../../edge/errors.js';
import { decodeCard, decodeReading, decodeSnapshot, decodeStatus } from '../../edge/broker/ingest.js';
import { parseDeviceTopic } from '../../edge/broker/topics.js';
import { FrameGuard } from '../../edge/broker/frame-guard.js';
import { METRICS } from '../../edge/metrics.js';
import { MAX_LISTED_ISSUES, OPTIONAL, REQUIRED, parseRoster } from '../../edge/health/roster.js';
import { JpegSplitter, looksLikeJpeg } from '../../edge/analysis/jpeg-stream.js';
import { parseConfig } from '../../edge/config/load.js';
import { crcOk, withCrc } from '../../firmware-bridge/modbus/crc.js';
import {
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  encodeBits,
  encodeCoilWriteEcho,
  decodeRequest,
  decodeResponse,
  encodeException,
  encodeRegisters,
  encodeRequest,
  encodeWriteEcho,
  type ModbusRequest,
} from '../../firmware-bridge/modbus/codec.js';
import { FAMILIES } from '../../firmware-bridge/display/families.js';
import { SOURCES, type DisplayCommand } from '../../firmware-bridge/display/protocol.js';
import { FRAME_LEN, encodeReading, takeReading } from '../../firmware-bridge/thermometer/gy-mcu906.js';
import { CARD_PATTERN, CardLines, MAX_CARD_LINE } from '../../firmware-bridge/thermometer/card-lines.js';
import { CMD, decodeReply, frameReply, reply } from '../../firmware-bridge/camera/vc0706.js';
import { H, type BatchHeaders } from '../../cloud-sync/protocol.js';
import {
  Refusal,
  batchHeaders,
  batchLines,
  dayWindow,
  bodyObject,
  configAppliedRequest,
  enrolRequest,
  restoredRequest,
  signedFields,
} from '../../cloud-sync/server/requests.js';
import { committedSeq, configAnswer, enrolAnswer, streamPositions } from '../../edge/sync/answers.js';
import { answerJson } from '../../edge/sync/http-client.js';
import { ADMIN, seedAccounts, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { connect } from '../helpers/mqtt.js';
import { addDevice } from '../../edge/services/devices.js';
import { apiRoutes } from '../../edge/api/server.js';
import { parseCookies } from '../../edge/api/cookies.js';
import { parseUpgradeTarget } from '../../edge/api/upgrade-guard.js';
import { jsonObject } from '../../edge/media/wire.js';
import { readTasmota } from '../../firmware-bridge/tasmota/tasmota-reports.js';
import { bytes, chunked, cuts, hostile, jsonValue, mutated, stream, text } from './gen.js';

/**
 * One property per parser of bytes from outside the appliance (devices, browsers, the district,
 * files an administrator uploads). Each property says: nothing escapes but the parser's typed
 * error, the error names what was wrong and stays short, and what the parser holds between calls
 * stays bounded. `npm test` runs them with few cases, `npm run fuzz` with at least 10 000.
 */
export interface FuzzTarget {
  name: string;
  /** What the property asserts, for docs/contributing.md and the run's output. */
  asserts: string;
  property(): Promise<{ prop: fc.IRawProperty<unknown, boolean>; close?: () => Promise<void> }>;
}

/** A message quoting a whole hostile input would itself be the unbounded thing. */
const MAX_MESSAGE = 64 * 1024;

function fail(why: string): never {
  throw new Error(why);
}

/** Run `fn`; a throw must be one of `classes`, with a short message that is not empty. */
function onlyTyped<T>(fn: () => T, ...classes: (abstract new (...a: never[]) => Error)[]): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!classes.some((c) => err instanceof c))
      fail(`escaped ${(err as Error)?.constructor?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`);
    checkMessage((err as Error).message);
    if (err instanceof ValidationError || err instanceof ConfigError) {
      if (err.issues.length === 0) fail(`${err.name} without issues`);
      for (const i of err.issues)
        if (typeof i.path !== 'string' || !i.expected)
          fail(`${err.name} issue without path or expectation: ${JSON.stringify(i)}`);
    }
    return undefined;
  }
}

function checkMessage(m: unknown): void {
  if (typeof m !== 'string' || m.trim() === '') fail(`empty error message: ${JSON.stringify(m)}`);
  if (m.length > MAX_MESSAGE) fail(`error message of ${m.length} characters`);
}

/** A refusal in a stream parser's result: a short string that says what was wrong. */
function checkReason(r: unknown, max = 500): void {
  if (typeof r !== 'string' || r.trim() === '') fail(`empty reason: ${JSON.stringify(r)}`);
  if (r.length > max) fail(`reason of ${r.length} characters: ${r.slice(0, 80)}…`);
}

/**
 * Drive a frame parser as the drivers do: bytes arrive in chunks, each call takes one frame from
 * the front. It must consume 0..length bytes, make progress whenever it reports something, and
 * wait (consume nothing) only while fewer than `maxWaiting` bytes are held.
 */
function drain<R extends { consumed: number; error?: string }>(
  parse: (b: Buffer) => R,
  data: Buffer,
  sizes: readonly number[],
  maxWaiting: number,
  seen?: (r: R, frame: Buffer) => void,
): void {
  let rx = Buffer.alloc(0);
  for (const chunk of chunked(data, sizes)) {
    rx = Buffer.concat([rx, chunk]);
    for (;;) {
      const r = parse(rx);
      if (!Number.isInteger(r.consumed) || r.consumed < 0 || r.consumed > rx.length)
        fail(`consumed ${r.consumed} of ${rx.length} bytes`);
      if (r.error !== undefined) checkReason(r.error);
      if (r.consumed === 0) {
        const reported = Object.entries(r).filter(([k, v]) => k !== 'consumed' && v !== undefined);
        if (reported.length > 0) fail(`reported ${reported.map(([k]) => k).join(', ')} without consuming anything`);
        if (rx.length >= maxWaiting) fail(`waits for more while holding ${rx.length} bytes`);
        break;
      }
      seen?.(r, rx.subarray(0, r.consumed));
      rx = rx.subarray(r.consumed);
    }
  }
}

// ---- MQTT payloads -------------------------------------------------------------------------------

const metricName = fc.oneof(
  fc.constantFrom(...Object.keys(METRICS)),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/),
  fc.string({ maxLength: 40 }),
);
const metricValue = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 250, 10000, 85, -40, 1e308), jsonValue);
const readingDoc = fc.record(
  {
    ts: fc.oneof(
      fc.integer({ min: 946684800000, max: 4102444800000 }),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      text(45),
      jsonValue,
    ),
    metrics: fc.oneof(fc.dictionary(metricName, metricValue, { maxKeys: 40 }), jsonValue),
    extra: jsonValue,
  },
  { requiredKeys: [] },
);
const json = (a: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> =>
  a.map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined'));

const mqttPayloads: FuzzTarget = {
  name: 'mqtt-payloads',
  asserts:
    'decodeReading, decodeCard, decodeStatus, decodeSnapshot and parseDeviceTopic never throw; a refusal names the field and stays under 500 characters; an accepted reading has only known metrics with finite values in range',
  async property() {
    const now = Date.UTC(2026, 11, 3, 8);
    const prop = fc.property(
      hostile(json(readingDoc), 300),
      hostile(
        json(
          fc.record(
            { card: fc.oneof(fc.stringMatching(/^[0-9A-Fa-f]{4,32}$/), text(40), jsonValue) },
            { requiredKeys: [] },
          ),
        ),
        300,
      ),
      hostile(
        fc.constantFrom('online', 'offline').map((s) => Buffer.from(s)),
        64,
      ),
      hostile(jpeg, 200),
      text(120),
      (reading, card, status, snapshot, topic) => {
        const r = decodeReading('dev-1', reading, 16 * 1024, now);
        if (r.ok) {
          for (const row of r.value) {
            const spec = METRICS[row.metric] ?? fail(`unknown metric ${row.metric} accepted`);
            if (!Number.isFinite(row.value) || row.value < spec.min || row.value > spec.max)
              fail(`${row.metric}=${row.value} accepted`);
            if (row.ts > now + 5 * 60_000) fail('a future timestamp accepted');
          }
        } else checkReason(r.reason);
        const c = decodeCard(card);
        if (c.ok && !CARD_PATTERN.test(c.value)) fail(`card ${c.value} accepted`);
        if (!c.ok) checkReason(c.reason);
        const s = decodeStatus(status);
        if (!s.ok) checkReason(s.reason);
        const j = decodeSnapshot(snapshot, 1024);
        if (!j.ok) checkReason(j.reason);
        const t = parseDeviceTopic(`classedge/dev/${topic}`);
        if (!t.ok) checkReason(t.reason, 1000);
        return true;
      },
    );
    return { prop };
  },
};

/**
 * The broker's guard reads only MQTT fixed headers. A reference that parses the whole stream at
 * once says whether any packet breaks the limits; the guard, fed the same bytes in chunks, must
 * pass them all through unchanged or stop with a ProtocolError exactly when the reference does.
 */
function guardReference(data: Buffer, max: number): boolean {
  let i = 0;
  while (i < data.length) {
    i++; // type byte
    let len = 0;
    let mult = 1;
    for (let k = 0; ; k++) {
      if (i >= data.length) return true;
      const b = data[i++] as number;
      if (k === 3 && (b & 0x80) !== 0) return false;
      len += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (len > max) return false;
    i += len;
  }
  return true;
}

const mqttPacket = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })).map(([type, body]) => {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.from([type, ...len, ...body]);
});

const frameGuard: FuzzTarget = {
  name: 'mqtt-frame-guard',
  asserts:
    'fed any chunks, FrameGuard passes the bytes through unchanged or stops with a ProtocolError exactly when a packet announces more than the limit or a length longer than 4 bytes; it keeps at most 5 header bytes',
  async property() {
    const prop = fc.asyncProperty(
      stream(mqttPacket, 8),
      cuts,
      fc.integer({ min: 0, max: 400 }),
      async (data, sizes, max) => {
        const guard = new FrameGuard(max);
        const out: Buffer[] = [];
        guard.on('data', (c: Buffer) => out.push(c));
        const done = new Promise<Error | undefined>((resolve) => {
          guard.on('error', resolve);
          guard.on('end', () => resolve(undefined));
        });
        for (const c of chunked(data, sizes)) if (!guard.destroyed) guard.write(c);
        if (!guard.destroyed) guard.end();
        const err = await done;
        const passed = Buffer.concat(out);
        if (!data.subarray(0, passed.length).equals(passed)) fail('guard changed the bytes');
        const ok = guardReference(data, max);
        if (err) {
          if (!(err instanceof ProtocolError)) fail(`escaped ${err.constructor.name}: ${err.message}`);
          checkMessage(err.message);
          if (ok) fail(`refused a stream within the limit: ${err.message}`);
        } else {
          if (!ok) fail('let a packet over the limit through');
          if (passed.length !== data.length) fail('lost bytes');
        }
        return true;
      },
    );
    return { prop };
  },
};

// ---- Roster CSV ----------------------------------------------------------------------------------

const csvField = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
  fc.stringMatching(/^[0-9A-F]{4,32}$/),
  fc.stringMatching(/^\+?[0-9 -]{6,20}$/),
  fc.constantFrom('李明', '王小红', '三年级二班', '=cmd|"/c calc"!A1', ''),
  text(60),
);
const quote = (f: string): string => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
const rosterCsv = fc
  .tuple(
    fc.shuffledSubarray([...REQUIRED, ...OPTIONAL, 'extra'], { minLength: 3 }),
    fc.array(fc.array(csvField, { maxLength: 8 }), { maxLength: 30 }),
    fc.constantFrom('\n', '\r\n', '\r'),
    fc.boolean(),
  )
  .map(([cols, rows, nl, bom]) =>
    Buffer.from(`${bom ? '\uFEFF' : ''}${[cols, ...rows].map((r) => r.map(quote).join(',')).join(nl)}`),
  );

const roster: FuzzTarget = {
  name: 'roster-csv',
  asserts: `parseRoster returns rows or throws ValidationError whose issues each name a line and column; at most ${MAX_LISTED_ISSUES} issues are listed (the rest counted) and the message stays under 64 KiB`,
  async property() {
    const prop = fc.property(hostile(rosterCsv, 2000), (b) => {
      let issues = 0;
      const r = onlyTyped(() => {
        try {
          return parseRoster(b);
        } catch (err) {
          if (err instanceof ValidationError) issues = err.issues.length;
          throw err;
        }
      }, ValidationError);
      if (r && r.rows.length === 0) fail('an empty roster accepted');
      if (issues > MAX_LISTED_ISSUES + 2) fail(`${issues} issues listed`);
      return true;
    });
    return { prop };
  },
};

// ---- Modbus --------------------------------------------------------------------------------------

const modbusRequest: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc.record({
    fn: fc.constantFrom(3 as const, 4 as const),
    address: fc.integer({ min: 1, max: 247 }),
    start: fc.integer({ min: 0, max: 0xffff }),
    count: fc.integer({ min: 1, max: MAX_READ_REGISTERS }),
  }),
  fc.record({
    fn: fc.constant(6 as const),
    address: fc.integer({ min: 1, max: 247 }),
    register: fc.integer({ min: 0, max: 0xffff }),
    value: fc.integer({ min: 0, max: 0xffff }),
  }),
  // Relay boards: coils read back, written one at a time and several at once.
  fc.record({
    fn: fc.constantFrom(1 as const, 2 as const),
    address: fc.integer({ min: 1, max: 247 }),
    start: fc.integer({ min: 0, max: 0xffff }),
    count: fc.integer({ min: 1, max: MAX_READ_BITS }),
  }),
  fc.record({
    fn: fc.constant(5 as const),
    address: fc.integer({ min: 1, max: 247 }),
    coil: fc.integer({ min: 0, max: 0xffff }),
    value: fc.constantFrom('on' as const, 'off' as const, 'toggle' as const),
  }),
  fc.record({
    fn: fc.constant(15 as const),
    address: fc.integer({ min: 1, max: 247 }),
    start: fc.integer({ min: 0, max: 0xffff }),
    states: fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }),
  }),
);
const exception = (r: ModbusRequest): fc.Arbitrary<Buffer> =>
  fc.integer({ min: 0, max: 255 }).map((code) => encodeException(r.address, r.fn, code));
const validReply = (r: ModbusRequest): fc.Arbitrary<Buffer> => {
  switch (r.fn) {
    case 6:
      return fc.oneof(fc.constant(encodeWriteEcho(r.address, r.register, r.value)), exception(r));
    case 5:
    case 15:
      return fc.oneof(fc.constant(encodeCoilWriteEcho(r)), exception(r));
    case 1:
    case 2:
      return fc.oneof(
        fc.array(fc.boolean(), { minLength: r.count, maxLength: r.count }).map((v) => encodeBits(r.address, r.fn, v)),
        exception(r),
      );
    default:
      return fc.oneof(
        fc
          .array(fc.integer({ min: 0, max: 0xffff }), { minLength: r.count, maxLength: r.count })
          .map((v) => encodeRegisters(r.address, r.fn, v)),
        exception(r),
      );
  }
};
/** A mutation with its CRC made good again, so that it reaches the checks behind the CRC. */
const recrc = (b: Buffer): Buffer => (b.length >= 3 ? withCrc(b.subarray(0, b.length - 2)) : b);

const modbus: FuzzTarget = {
  name: 'modbus-replies',
  asserts:
    'decodeResponse and decodeRequest return a frame or throw ProtocolError; a reply that decodes has a good CRC, the asked slave and function, exactly the asked register or bit count, and a write echo that matches the write',
  async property() {
    const prop = fc.property(
      modbusRequest.chain((r) =>
        fc.tuple(fc.constant(r), fc.oneof(hostile(validReply(r), 300), mutated(validReply(r)).map(recrc))),
      ),
      fc.oneof(
        bytes(12),
        mutated(modbusRequest.map(encodeRequest)),
        mutated(modbusRequest.map(encodeRequest)).map(recrc),
      ),
      ([req, frame], request) => {
        const res = onlyTyped(() => decodeResponse(req, frame), ProtocolError);
        if (res) {
          if (!crcOk(frame)) fail('a reply with a bad CRC decoded');
          if (res.address !== req.address) fail('a reply from another slave decoded');
          if (res.kind === 'registers' && ((req.fn !== 3 && req.fn !== 4) || res.values.length !== req.count))
            fail('wrong register count decoded');
          if (res.kind === 'bits' && ((req.fn !== 1 && req.fn !== 2) || res.values.length !== req.count))
            fail('wrong bit count decoded');
          if (res.kind === 'coil-written' && (req.fn !== 5 || res.coil !== req.coil || res.value !== req.value))
            fail('a coil write echo that does not match decoded');
          if (res.kind === 'coils-written' && (req.fn !== 15 || res.count !== req.states.length))
            fail('a multiple-coil write echo that does not match decoded');
        }
        onlyTyped(() => decodeRequest(request), ProtocolError);
        return true;
      },
    );
    return { prop };
  },
};

// ---- Panels --------------------------------------------------------------------------------------

const displayCommand: fc.Arbitrary<DisplayCommand> = fc.oneof(
  fc.record({ kind: fc.constant('power' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('source' as const), source: fc.constantFrom(...SOURCES) }),
  fc.record({ kind: fc.constant('volume' as const), level: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('mute' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('brightness' as const), level: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('eyeCare' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('query' as const), what: fc.constantFrom('power' as const, 'volume' as const) }),
);

const panels: FuzzTarget = {
  name: 'panel-replies',
  asserts:
    'every panel family’s parse (replies) and decodeCommand (simulator side), driven over chunked streams, never throw, consume within the buffer, make progress when they report, and wait only while holding less than 64 bytes',
  async property() {
    const families = Object.values(FAMILIES);
    const prop = fc.property(
      fc
        .constantFrom(...families)
        .chain((p) =>
          fc.tuple(
            fc.constant(p),
            stream(
              fc
                .tuple(displayCommand, fc.boolean(), fc.integer({ min: 0, max: 100 }), fc.boolean())
                .map(([cmd, power, volume, asReply]) =>
                  asReply ? p.encodeReply(cmd, { power, volume }) : p.encode(cmd),
                ),
            ),
            cuts,
          ),
        ),
      ([p, data, sizes]) => {
        drain(
          (b) => p.parse(b),
          data,
          sizes,
          64,
          (r) => {
            if (r.reply && r.reply.raw.length > r.consumed) fail('reply longer than what was consumed');
          },
        );
        drain((b) => p.decodeCommand(b), data, sizes, 64);
        return true;
      },
    );
    return { prop };
  },
};

// ---- Thermometer, card reader, camera ------------------------------------------------------------

const tasmota: FuzzTarget = {
  name: 'tasmota-reports',
  asserts:
    'readTasmota never throws on any stat/ or tele/ key and payload (JSON shaped like a report, mutated, or raw bytes), and reports only relays 1-8 with a state, a dimmer level 0-100 and online only from LWT',
  async property() {
    const report = fc
      .record({
        POWER: fc.constantFrom('ON', 'OFF', 'on', 1, 0, 'TOGGLE', null),
        POWER2: fc.constantFrom('ON', 'OFF', 2),
        POWER9: fc.constant('ON'),
        Dimmer: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double(), fc.string()),
        ENERGY: fc.record({ Power: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)) }),
      })
      .map((r) => Buffer.from(JSON.stringify(r)));
    const key = fc.oneof(
      fc.constantFrom('RESULT', 'STATE', 'SENSOR', 'POWER', 'POWER1', 'POWER8', 'POWER9', 'LWT', 'Dimmer'),
      text(40),
    );
    const prop = fc.property(
      fc.constantFrom('stat' as const, 'tele' as const),
      key,
      fc.oneof(report, mutated(report), bytes(300), hostile(report, 2000)),
      (prefix, k, payload) => {
        const r = readTasmota(prefix, k, payload);
        for (const [relay, on] of r.power) {
          if (!Number.isInteger(relay) || relay < 1 || relay > 8) fail(`relay ${relay} reported`);
          if (typeof on !== 'boolean') fail('a relay state that is not a boolean');
        }
        if (r.dimmer !== undefined && !(Number.isInteger(r.dimmer) && r.dimmer >= 0 && r.dimmer <= 100))
          fail(`dimmer ${r.dimmer} reported`);
        if (r.online !== undefined && !(prefix === 'tele' && k === 'LWT')) fail('online from something but LWT');
        if (r.powerW !== undefined && !(Number.isFinite(r.powerW) && r.powerW >= 0 && r.powerW < 100_000))
          fail(`power ${r.powerW} W reported`);
        return true;
      },
    );
    return { prop };
  },
};

const thermometer: FuzzTarget = {
  name: 'thermometer-frames',
  asserts:
    'takeReading over chunked streams never throws, consumes within the buffer, waits only while holding less than one frame, and every reading it returns came from a frame with a good checksum',
  async property() {
    const frame = fc
      .tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 }))
      .map(([o, a]) => encodeReading({ objectC: o / 100, ambientC: a / 100 }));
    const prop = fc.property(stream(frame, 16), cuts, (data, sizes) => {
      drain(takeReading, data, sizes, FRAME_LEN, (r, f) => {
        if (r.reading) {
          if (f.length !== FRAME_LEN) fail('a reading from a frame of the wrong length');
          if (!f.equals(encodeReading(r.reading)))
            fail(`reading ${JSON.stringify(r.reading)} does not match its frame`);
        }
      });
      return true;
    });
    return { prop };
  },
};

const cardReader: FuzzTarget = {
  name: 'card-reader-lines',
  asserts: `CardLines over chunked serial output never throws, returns only 4-32 hex digit card numbers, names the bad byte of a refused line, and holds at most ${MAX_CARD_LINE} characters between chunks`,
  async property() {
    const line = fc
      .oneof(fc.stringMatching(/^[0-9A-Fa-f]{4,32}$/), text(40))
      .chain((s) => fc.constantFrom('\r\n', '\n', '\r', '').map((nl) => Buffer.from(`${s}${nl}`, 'latin1')));
    const prop = fc.property(fc.oneof(stream(line, 20), bytes(2000)), cuts, (data, sizes) => {
      const lines = new CardLines();
      for (const c of chunked(data, sizes)) {
        const r = lines.push(c);
        for (const card of r.cards)
          if (!CARD_PATTERN.test(card) || card !== card.toUpperCase()) fail(`card ${card} accepted`);
        for (const l of r.rejected)
          if (!/^(byte \d+: 0x[0-9a-f]{2} is not a hex digit|\d+ hex digits; expected 4-32)/.test(l))
            fail(`a refused line's problem names no byte: ${l.slice(0, 80)}`);
        if (lines.pending > MAX_CARD_LINE) fail(`holds ${lines.pending} characters`);
      }
      return true;
    });
    return { prop };
  },
};

const vc0706: FuzzTarget = {
  name: 'vc0706-frames',
  asserts:
    'decodeReply over chunked streams, for every command and frame length, never throws, consumes within the buffer, waits only while holding less than one reply, and data it returns has the asked length for frame reads',
  async property() {
    const cmds = Object.values(CMD);
    const input = fc
      .tuple(fc.constantFrom(...cmds), fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }))
      .chain(([cmd, frameBytes]) => {
        const valid =
          frameBytes === undefined
            ? fc.uint8Array({ maxLength: 20 }).map((d) => reply(cmd, Buffer.from(d)))
            : fc.uint8Array({ minLength: frameBytes, maxLength: frameBytes }).map((d) => frameReply(Buffer.from(d)));
        return fc.tuple(fc.constant(cmd), fc.constant(frameBytes), stream(valid, 6), cuts);
      });
    const prop = fc.property(input, ([cmd, frameBytes, data, sizes]) => {
      drain(
        (b) => decodeReply(b, cmd, frameBytes),
        data,
        sizes,
        frameBytes === undefined ? 5 + 255 : 10 + frameBytes,
        (r) => {
          if (r.data && frameBytes !== undefined && r.data.length !== frameBytes)
            fail(`frame data of ${r.data.length} bytes, asked ${frameBytes}`);
        },
      );
      return true;
    });
    return { prop };
  },
};

// ---- JPEG ----------------------------------------------------------------------------------------

/** A small JPEG-shaped image: SOI, header segments (one holding a stray FF D9), SOS, stuffed data, EOI. */
const jpeg: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 3 }), fc.uint8Array({ maxLength: 80 }))
  .map(([segments, data]) =>
    Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      ...segments.map((s) => Buffer.from([0xff, 0xe1, 0, s.length + 4, 0xff, 0xd9, ...s])),
      Buffer.from([0xff, 0xda, 0, 8, 1, 2, 3, 4, 5, 6]),
      Buffer.from([...data].flatMap((b) => (b === 0xff ? [0xff, 0x00] : [b]))),
      Buffer.from([0xff, 0xd9]),
    ]),
  );

const jpegStream: FuzzTarget = {
  name: 'jpeg-snapshots',
  asserts:
    'JpegSplitter over chunked streams never throws, yields only images from FF D8 FF to FF D9 of at most maxBytes, and holds at most maxBytes between chunks; looksLikeJpeg never throws and names the byte it refuses',
  async property() {
    const prop = fc.property(stream(jpeg, 10), cuts, fc.integer({ min: 16, max: 400 }), (data, sizes, max) => {
      const s = new JpegSplitter(max);
      for (const c of chunked(data, sizes)) {
        for (const img of s.push(c)) {
          if (img.length > max) fail(`image of ${img.length} bytes over ${max}`);
          if (img[0] !== 0xff || img[1] !== 0xd8 || img[2] !== 0xff || img.at(-2) !== 0xff || img.at(-1) !== 0xd9)
            fail(`not an image: ${img.toString('hex')}`);
          if (looksLikeJpeg(img) !== undefined) fail('looksLikeJpeg refuses an image the splitter cut');
        }
        if (s.buffered > max) fail(`holds ${s.buffered} bytes, limit ${max}`);
      }
      const bad = looksLikeJpeg(data);
      if (bad !== undefined && !/byte|bytes/.test(bad)) fail(`refusal without a byte: ${bad}`);
      return true;
    });
    return { prop };
  },
};

// ---- YAML configuration --------------------------------------------------------------------------

const SAMPLE_CONFIGS = [
  'mqtt: { port: 1883, maxPayloadBytes: 16384 }\nhttp: { port: 8080 }\nlog: { level: info }\n',
  'appliance: { id: room-301 }\ncomponents:\n  - type: display\n    name: panel\n    family: hitevision\n    port: /dev/classedge-panel\n    defaultSource: ops\n',
  'components:\n  - type: thermometer\n    name: door\n    port: /dev/ttyUSB0\n  - type: card-reader-serial\n    name: cards\n    port: /dev/ttyUSB1\n',
  'timetable:\n  lessons: [{ start: "08:00", end: "08:40" }]\nhealth: {}\nsync: {}\n',
  'anchors: &a { port: 1 }\nmqtt: *a\n',
];
const yamlText = fc.oneof(
  fc.constantFrom(...SAMPLE_CONFIGS),
  mutated(fc.constantFrom(...SAMPLE_CONFIGS).map((s) => Buffer.from(s))).map((b) => b.toString('utf8')),
  fc
    .dictionary(
      fc.constantFrom(
        'appliance',
        'dataDir',
        'http',
        'mqtt',
        'store',
        'auth',
        'log',
        'kiosk',
        'health',
        'sync',
        'analysis',
        'components',
        'timetable',
        'shutdownTimeoutMs',
        'x',
      ),
      jsonValue,
      { maxKeys: 5 },
    )
    .map((o) => stringify(o)),
  text(300),
);

const yamlConfig: FuzzTarget = {
  name: 'yaml-config',
  asserts:
    'parseConfig returns a configuration or throws ConfigError whose issues each carry a path and what was expected; its message stays under 64 KiB',
  async property() {
    const prop = fc.property(yamlText, (t) => {
      onlyTyped(() => parseConfig(t, 'fuzz.yaml', { dataDir: '/tmp/classedge-fuzz' }), ConfigError);
      return true;
    });
    return { prop };
  },
};

// ---- District protocol ---------------------------------------------------------------------------

const uuid = fc.uuid();
const batchHead = fc.record({
  appliance: fc.oneof(fc.constant('room-301'), text(20)),
  batch: fc.oneof(uuid, text(40)),
  stream: fc.oneof(fc.constantFrom('readings', 'health-alerts'), text(20)),
  first: fc.oneof(fc.integer({ min: 1, max: 20 }).map(String), text(12)),
  last: fc.oneof(fc.integer({ min: 1, max: 40 }).map(String), text(12)),
  signature: fc.oneof(fc.base64String({ maxLength: 88 }), fc.constant('')),
});
const ndjsonLine = fc.oneof(
  fc.record(
    {
      seq: fc.integer({ min: 0, max: 40 }),
      day: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        fc.constantFrom('2026-02-30', '2026-13-01', '0000-00-00'),
        text(12),
      ),
      payload: jsonValue,
    },
    { requiredKeys: [] },
  ),
  jsonValue,
);
const batchBody = fc.oneof(
  fc.array(ndjsonLine, { maxLength: 30 }).map((ls) => gzipSync(ls.map((l) => JSON.stringify(l)).join('\n'))),
  fc.array(ndjsonLine, { maxLength: 30 }).map((ls) => Buffer.from(ls.map((l) => JSON.stringify(l)).join('\n'))),
  mutated(fc.array(ndjsonLine, { maxLength: 10 }).map((ls) => gzipSync(ls.map((l) => JSON.stringify(l)).join('\n')))),
  bytes(200),
);

const districtRequests: FuzzTarget = {
  name: 'district-requests',
  asserts:
    'the receiver’s request parsing (bodyObject, signedFields, enrolRequest, configAppliedRequest, restoredRequest, batchHeaders, batchLines) returns checked values or throws a Refusal; accepted batch lines are numbered first..last with real days inside the window',
  async property() {
    const prop = fc.asyncProperty(jsonValue, batchHead, batchBody, async (body, head, gz) => {
      onlyTyped(() => bodyObject(body), Refusal);
      onlyTyped(() => signedFields(body), Refusal);
      onlyTyped(() => enrolRequest(body), Refusal);
      onlyTyped(() => configAppliedRequest(body), Refusal);
      onlyTyped(() => restoredRequest(body), Refusal);
      const names: Record<string, string> = {
        [H.bodySha256]: '0'.repeat(64),
        [H.appliance]: head.appliance,
        [H.batch]: head.batch,
        [H.stream]: head.stream,
        [H.first]: head.first,
        [H.last]: head.last,
        [H.signature]: head.signature,
      };
      const h: BatchHeaders | undefined = onlyTyped(() => batchHeaders((n) => names[n]), Refusal);
      const use = h ?? {
        appliance: 'room-301',
        batch: '00000000-0000-0000-0000-000000000000',
        stream: 'readings',
        first: 1,
        last: 3,
      };
      const window = dayWindow(Date.UTC(2026, 11, 3), 400, 2);
      const limits = { maxBodyBytes: 1 << 20, maxInflatedBytes: 1 << 20, maxLineBytes: 1 << 16, maxRecords: 1000 };
      const lines = await batchLines(gz, use, limits, window).then(
        (ls) => ls,
        (err: unknown) =>
          onlyTyped(() => {
            throw err;
          }, Refusal),
      );
      if (lines)
        lines.forEach((l, i) => {
          if (l.seq !== use.first + i) fail('a gap accepted');
          if ('day' in l && (l.day < window.from || l.day > window.to))
            fail(`a day outside the window accepted: ${l.day}`);
        });
      return true;
    });
    return { prop };
  },
};

const districtAnswers: FuzzTarget = {
  name: 'district-answers',
  asserts:
    'the agent’s reading of the district’s answers (answerJson, streamPositions, committedSeq, configAnswer, enrolAnswer) returns whole non-negative positions or throws ProtocolError naming the field; answerJson never throws and always gives an object',
  async property() {
    const answer = fc.record(
      {
        streams: fc.oneof(
          fc.dictionary(fc.constantFrom('readings', 'lessons', 'x', '__proto__'), jsonValue),
          jsonValue,
        ),
        committedSeq: jsonValue,
        version: jsonValue,
        config: jsonValue,
        signature: jsonValue,
      },
      { requiredKeys: [] },
    );
    const prop = fc.property(hostile(json(answer), 200), (body) => {
      const j = answerJson(body);
      if (j === null || typeof j !== 'object' || Array.isArray(j)) fail('answerJson gave a non-object');
      const s = onlyTyped(() => streamPositions(j, ['readings', 'lessons']), ProtocolError);
      for (const [, seq] of s ?? []) if (!Number.isSafeInteger(seq) || seq < 0) fail(`position ${seq} accepted`);
      const c = onlyTyped(() => committedSeq(j), ProtocolError);
      if (c !== undefined && (!Number.isSafeInteger(c) || c < 0)) fail(`committedSeq ${c} accepted`);
      onlyTyped(() => configAnswer(j), ProtocolError);
      onlyTyped(() => enrolAnswer(j), ProtocolError);
      return true;
    });
    return { prop };
  },
};

// ---- MQTT, through a real broker -----------------------------------------------------------------

const mqttBroker: FuzzTarget = {
  name: 'mqtt-broker',
  asserts:
    'through a real appliance’s broker: hostile payloads of every message kind, published at QoS 1 by an authenticated camera device under its own prefix, are each acknowledged (accepted or refused on the device’s rejected topic) without the connection closing; the appliance still serves GET /api/v1/health',
  async property() {
    const t = await startTestAppliance();
    const c = await addDevice(t.appliance.store, { id: 'fuzz-cam', kind: 'camera' }, 'fuzz');
    const client = await connect(t.mqttUrl, {
      username: c.mqtt.username,
      password: c.mqtt.password,
      clientId: 'fuzz-cam',
    });

    const kinds = {
      reading: hostile(json(readingDoc), 300),
      card: hostile(json(fc.record({ card: fc.oneof(fc.stringMatching(/^[0-9A-Fa-f]{4,32}$/), text(40)) })), 300),
      status: hostile(
        fc.constantFrom('online', 'offline').map((x) => Buffer.from(x)),
        64,
      ),
      snapshot: hostile(jpeg, 300),
    };
    const message = fc
      .constantFrom(...(Object.keys(kinds) as (keyof typeof kinds)[]))
      .chain((kind) => fc.tuple(fc.constant(kind), kinds[kind]));
    const prop = fc.asyncProperty(message, async ([kind, payload]) => {
      if (!client.connected) fail('the broker closed the device’s connection');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no PUBACK for a ${kind} of ${payload.length} bytes within 10 s`)),
          10_000,
        );
        client.publish(`classedge/dev/fuzz-cam/${kind}`, payload, { qos: 1 }, (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
      if (!client.connected)
        fail(
          `the broker closed the connection after a ${kind} of ${payload.length} bytes: ${payload.subarray(0, 40).toString('hex')}`,
        );
      return true;
    });
    return {
      prop,
      close: async () => {
        try {
          const h = await fetch(`${t.httpUrl}/api/v1/health`);
          await h.text();
          if (h.status >= 500 && h.status !== 503) fail(`health answers ${h.status} after the run`);
        } finally {
          client.end(true);
          await t.stop();
        }
      },
    };
  },
};

// ---- HTTP, through a real appliance --------------------------------------------------------------

/**
 * Routes whose bodies and queries are fuzzed as an administrator; none of them changes accounts or the configuration
 * file.
 */
const HTTP_ROUTES: readonly string[] = [
  'get /api/v1/readings',
  'get /api/v1/environment/history',
  'get /api/v1/environment/alerts',
  'post /api/v1/displays/:name/commands',
  'get /api/v1/displays/:name/screen-time',
  'get /api/v1/health/day',
  'post /api/v1/health/checks',
  'post /api/v1/health/checks/:id/corrections',
  'post /api/v1/health/absences',
  'post /api/v1/health/absences/:id/follow-up',
  'post /api/v1/health/alerts/:id/reported',
  'get /api/v1/health/report',
  'post /api/v1/health/report/printed',
  'get /api/v1/health/report.csv',
  'get /api/v1/health/report.html',
  'post /api/v1/health/roster',
  'get /api/v1/health/students/:id',
  'get /api/v1/lessons',
  'get /api/v1/lessons/:id',
  'get /api/v1/audit',
  'get /api/v1/session',
];

/**
 * Values shaped by a route's own schema (the right fields and types, random contents), mixed with
 * wild values: these get past the validation into the handlers, where random JSON never arrives.
 */
function fromSchema(s: Record<string, unknown> | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 4) return jsonValue;
  let a: fc.Arbitrary<unknown> = jsonValue;
  if (s.const !== undefined) a = fc.constant(s.const);
  else if (Array.isArray(s.enum) && s.enum.length > 0) a = fc.constantFrom(...(s.enum as unknown[]));
  else if (Array.isArray(s.anyOf))
    a = fc.oneof(...(s.anyOf as Record<string, unknown>[]).map((x) => fromSchema(x, depth + 1)));
  else if (s.type === 'object') {
    const props = Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>);
    a = fc.record(Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, depth + 1)])), {
      requiredKeys: ((s.required ?? []) as string[]).filter((k) => props.some(([p]) => p === k)),
    });
  } else if (s.type === 'string') {
    let shaped: fc.Arbitrary<string> = text(typeof s.maxLength === 'number' ? Math.min(s.maxLength, 80) : 80);
    if (typeof s.pattern === 'string') {
      try {
        shaped = fc.oneof(fc.stringMatching(new RegExp(s.pattern)), shaped);
      } catch {
        /* a pattern fast-check cannot generate from: random text only */
      }
    }
    a = shaped;
  } else if (s.type === 'integer')
    a = fc.oneof(
      fc.integer({
        min: typeof s.minimum === 'number' ? s.minimum : -1e9,
        max: typeof s.maximum === 'number' ? s.maximum : 1e9,
      }),
      fc.constantFrom(0, -1, 2 ** 53, 1e300),
    );
  else if (s.type === 'number')
    a = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(36.5, 42, -273));
  else if (s.type === 'boolean') a = fc.boolean();
  else if (s.type === 'array')
    a = fc.array(fromSchema(s.items as Record<string, unknown>, depth + 1), { maxLength: 6 });
  return fc.oneof({ arbitrary: a, weight: 6 }, { arbitrary: jsonValue, weight: 1 });
}

const routeCase = fc.constantFrom(...HTTP_ROUTES).chain((key) => {
  const r = apiRoutes.find((x) => `${x.method} ${x.path}` === key) ?? fail(`no route ${key}`);
  const query = r.query
    ? fromSchema(r.query as unknown as Record<string, unknown>).map((q) =>
        q !== null && typeof q === 'object' && !Array.isArray(q)
          ? Object.entries(q)
              .map(
                ([k, v]) =>
                  `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
              )
              .join('&')
          : '',
      )
    : fc.constant('');
  const body = r.body ? json(fromSchema(r.body as unknown as Record<string, unknown>)) : fc.constant(Buffer.from('{}'));
  return fc.record({
    method: fc.constant(r.method.toUpperCase()),
    path: fc.constant(r.path),
    shapedQuery: query,
    shapedBody: body,
  });
});

const queryPart = fc.oneof(
  fc
    .dictionary(
      fc.constantFrom(
        'day',
        'classId',
        'from',
        'to',
        'limit',
        'offset',
        'metric',
        'deviceId',
        'bucket',
        'status',
        'x',
        '__proto__',
        'limit[]',
      ),
      fc.oneof(text(20), fc.integer().map(String), fc.constantFrom('', '%', '%zz', '-1', '1e9', 'NaN', '2026-12-03')),
      { maxKeys: 4 },
    )
    .map((o) =>
      Object.entries(o)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&'),
    ),
  fc.string({ unit: fc.constantFrom('a', '=', '&', '%', '2', 'f', 'Z', '[', ']', '+', ';', '#'), maxLength: 30 }),
);
const httpBody = fc.oneof(
  json(
    fc.dictionary(
      fc.constantFrom(
        'day',
        'classId',
        'studentId',
        'studentNo',
        'cardId',
        'temperatureC',
        'objectC',
        'symptoms',
        'reason',
        'note',
        'command',
        'kind',
        'on',
        'level',
        'source',
        'csvBase64',
        'followUp',
        'x',
      ),
      jsonValue,
      { maxKeys: 5 },
    ),
  ),
  json(fc.record({ csvBase64: rosterCsv.map((b) => b.toString('base64')) })),
  json(jsonValue),
  bytes(100),
);
const cookieHeader = fc.oneof(
  fc.constant(undefined),
  fc.string({
    unit: fc.constantFrom('a', '=', ';', '%', ' ', 'E', '0', 'classedge_session', '\u00ff', '"', ','),
    maxLength: 60,
  }),
  fc.constantFrom('a=%', 'classedge_session=%E0%A4%A', '=', ';;;', 'classedge_session='),
);

const http: FuzzTarget = {
  name: 'http-api',
  asserts:
    'through a real appliance (in-process, real HTTP on loopback) as an administrator: generated bodies, query strings, path parameters and Cookie headers never give a 500; every 4xx is a JSON body with an error code; the appliance still serves GET /api/v1/health',
  async property() {
    const t: TestAppliance = await startTestAppliance();
    await seedAccounts(t);
    const admin = new ApiClient(t.httpUrl);
    await admin.loginAdmin(ADMIN.username, ADMIN.password);
    const prop = fc.asyncProperty(
      routeCase,
      fc.boolean(),
      queryPart,
      httpBody,
      fc.oneof(text(12), fc.integer({ min: -1, max: 5 }).map(String)),
      cookieHeader,
      fc.nat(4).map((n) => n > 0),
      async (r, shaped, wildQuery, wildBody, param, cookie, asAdmin) => {
        const path = r.path.replace(/:[a-z]+/g, () => encodeURIComponent(param) || '1');
        const query = shaped ? r.shapedQuery : wildQuery;
        const body = shaped ? r.shapedBody : wildBody;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (asAdmin && admin.cookie) headers.cookie = cookie ? `${cookie}; ${admin.cookie}` : admin.cookie;
        else if (cookie) headers.cookie = cookie;
        if (asAdmin && admin.csrf) headers['x-csrf-token'] = admin.csrf;
        const res = await fetch(`${t.httpUrl}${path}${query ? `?${query}` : ''}`, {
          method: r.method,
          headers,
          body: r.method === 'GET' ? null : body,
        });
        const answer = await res.text();
        if (res.status >= 500 && res.status !== 504)
          fail(`${r.method} ${path}?${query} cookie=${JSON.stringify(cookie)}: ${res.status} ${answer.slice(0, 200)}`);
        if (res.status >= 400) {
          let e: { error?: unknown; message?: unknown };
          try {
            e = JSON.parse(answer) as typeof e;
          } catch {
            return fail(`${res.status} without a JSON body: ${answer.slice(0, 100)}`);
          }
          if (typeof e.error !== 'string' || typeof e.message !== 'string')
            fail(`${res.status} without error and message: ${answer.slice(0, 100)}`);
        }
        return true;
      },
    );
    return {
      prop,
      close: async () => {
        try {
          const h = await fetch(`${t.httpUrl}/api/v1/health`);
          await h.text();
          if (h.status >= 500 && h.status !== 503) fail(`health answers ${h.status} after the run`);
        } finally {
          await t.stop();
        }
      },
    };
  },
};

const upgradeHeaders: FuzzTarget = {
  name: 'upgrade-headers',
  asserts:
    'parseCookies and parseUpgradeTarget (the WebSocket upgrade listener runs outside Express, where a throw ends the process) never throw; at most 50 cookies are kept; a target is a path starting with one "/" or a reason naming the request target',
  async property() {
    const piece = fc.oneof(
      fc.constantFrom(
        '%',
        '%E0%A4%A',
        '%zz',
        '=',
        ';',
        ' ',
        '/',
        '//',
        '?',
        '#',
        '\u0000',
        'classedge_session',
        '__proto__',
        'constructor',
        'a',
      ),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const header = fc.array(piece, { maxLength: 200 }).map((parts) => parts.join(''));
    const prop = fc.property(header, header, (cookie, url) => {
      const jar = parseCookies(cookie);
      if (Object.keys(jar).length > 50) fail(`${Object.keys(jar).length} cookies kept`);
      for (const v of Object.values(jar)) if (typeof v !== 'string') fail('a cookie value that is not text');
      const t = parseUpgradeTarget(url);
      if (typeof t === 'string') {
        if (!t.startsWith('request target:')) fail(`refusal names no field: ${t.slice(0, 80)}`);
      } else if (!t.path.startsWith('/') || t.path.startsWith('//')) fail(`target ${t.path.slice(0, 80)} accepted`);
      return true;
    });
    return { prop };
  },
};

const mediaMessages: FuzzTarget = {
  name: 'media-messages',
  asserts:
    'jsonObject (every media signalling message from a browser, a guest or a partner appliance) never throws; it returns a JSON object or a reason starting "message:"',
  async property() {
    const msg = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('null', '5', '"x"', '[]', '{"id":null}', '{"__proto__":{"id":1}}', '{', ''),
    );
    const prop = fc.property(msg, (raw) => {
      const m = jsonObject(raw);
      if (typeof m === 'string') {
        if (!m.startsWith('message:')) fail(`reason names no field: ${m.slice(0, 80)}`);
      } else if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(`${typeof m} accepted as a message`);
      return true;
    });
    return { prop };
  },
};

export const TARGETS: readonly FuzzTarget[] = [
  mqttPayloads,
  frameGuard,
  upgradeHeaders,
  mediaMessages,
  roster,
  modbus,
  tasmota,
  panels,
  thermometer,
  cardReader,
  vc0706,
  jpegStream,
  yamlConfig,
  districtRequests,
  districtAnswers,
  mqttBroker,
  http,
];

export interface FuzzResult {
  name: string;
  cases: number;
  ms: number;
  failure?: string;
}

/** The seed of a run: FUZZ_SEED when set, else a fixed one, so that a run can be repeated. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const s = env.FUZZ_SEED;
  if (s === undefined || s === '') return 20261203;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new ClassEdgeError('invalid_input', `FUZZ_SEED: expected an integer, got '${s}'`);
  return n;
}

export async function runTarget(t: FuzzTarget, numRuns: number, seed: number): Promise<FuzzResult> {
  const started = performance.now();
  const { prop, close } = await t.property();
  let details: fc.RunDetails<unknown>;
  try {
    details = (await fc.check(prop, { numRuns, seed, endOnFailure: false })) as fc.RunDetails<unknown>;
  } finally {
    await close?.();
  }
  const ms = Math.round(performance.now() - started);
  // A counterexample can be megabytes (a repeated frame); the first part says enough, the seed repeats it.
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const report = details.failed
    ? `${fc.defaultReportMessage(details) ?? `failed after ${details.numRuns} runs`}\nerror: ${error}`
    : undefined;
  const failure = report && report.length > 4000 ? `${report.slice(0, 4000)}… (${report.length} characters)` : report;
  return { name: t.name, cases: details.numRuns, ms, ...(failure ? { failure } : {}) };
}
