import {
  checkLevel,
  commandKey,
  type DisplayCommand,
  type DisplayProtocol,
  type Provenance,
  type Source,
} from './protocol.js';

/**
 * Hisense, 9600 8N1: `DD FF <len hi> <len lo> <class> <fn> 00 00 01 <v> <xor> BB CC`, len = 7 (six
 * payload bytes and the check byte), xor over the length and payload bytes. devices.md gives screen
 * on `DD FF 00 07 C1 31 00 00 01 00 F6 BB CC` and off `… 01 01 F7 BB CC`, which fixes the framing and
 * the check. The other function codes (32 source, 33 volume, 34 brightness, 35 mute, 36 eye care),
 * the query class C2 and the reply classes D1 (done) / D2 (value) are assumed.
 */
const SOURCE_CODE: Record<Source, number> = { hdmi1: 0, hdmi2: 1, ops: 2, whiteboard: 3 };
const TABLE: Record<string, Provenance> = {
  power: 'devices.md',
  source: 'assumed',
  volume: 'assumed',
  brightness: 'assumed',
  mute: 'assumed',
  eyeCare: 'assumed',
  'query.power': 'assumed',
  'query.volume': 'assumed',
};

function payload(cmd: DisplayCommand): [number, number, number] {
  switch (cmd.kind) {
    case 'power':
      return [0xc1, 0x31, cmd.on ? 0 : 1];
    case 'source':
      return [0xc1, 0x32, SOURCE_CODE[cmd.source]];
    case 'volume':
      return [0xc1, 0x33, checkLevel(cmd.level, 'volume')];
    case 'brightness':
      return [0xc1, 0x34, checkLevel(cmd.level, 'brightness')];
    case 'mute':
      return [0xc1, 0x35, cmd.on ? 1 : 0];
    case 'eyeCare':
      return [0xc1, 0x36, cmd.on ? 1 : 0];
    case 'query':
      return [0xc2, cmd.what === 'power' ? 0x31 : 0x33, 0];
  }
}

function frame(cls: number, fn: number, v: number): Buffer {
  const body = [0x00, 0x07, cls, fn, 0x00, 0x00, 0x01, v];
  const x = body.reduce((a, b) => a ^ b, 0);
  return Buffer.from([0xdd, 0xff, ...body, x, 0xbb, 0xcc]);
}

function fromFn(fn: number, v: number): DisplayCommand | undefined {
  switch (fn) {
    case 0x31:
      return { kind: 'power', on: v === 0 };
    case 0x32: {
      const src = (Object.entries(SOURCE_CODE) as [Source, number][]).find(([, c]) => c === v);
      return src ? { kind: 'source', source: src[0] } : undefined;
    }
    case 0x33:
      return { kind: 'volume', level: v };
    case 0x34:
      return { kind: 'brightness', level: v };
    case 0x35:
      return { kind: 'mute', on: v === 1 };
    case 0x36:
      return { kind: 'eyeCare', on: v === 1 };
    default:
      return undefined;
  }
}

/** 13 bytes from DD FF to BB CC with a good check byte. */
function takeFrame(buf: Buffer): { frame?: Buffer; consumed: number; error?: string } {
  let start = -1;
  for (let i = 0; i + 1 < buf.length; i++)
    if (buf[i] === 0xdd && buf[i + 1] === 0xff) {
      start = i;
      break;
    }
  if (start < 0) {
    const keep = buf.length > 0 && buf[buf.length - 1] === 0xdd ? 1 : 0;
    return {
      consumed: buf.length - keep,
      ...(buf.length - keep > 0 ? { error: `no DD FF start in ${buf.length - keep} bytes` } : {}),
    };
  }
  if (start > 0) return { consumed: start, error: `skipped ${start} bytes before DD FF` };
  if (buf.length < 13) return { consumed: 0 };
  const f = buf.subarray(0, 13);
  if (f[2] !== 0x00 || f[3] !== 0x07) return { consumed: 2, error: `length ${f[2]} ${f[3]}, expected 00 07` };
  if (f[11] !== 0xbb || f[12] !== 0xcc) return { consumed: 2, error: 'frame does not end with BB CC' };
  const x = [...f.subarray(2, 10)].reduce((a, b) => a ^ b, 0);
  if (x !== f[10])
    return { consumed: 13, error: `check byte ${(f[10] as number).toString(16)}, expected ${x.toString(16)}` };
  return { frame: f, consumed: 13 };
}

export const hisense: DisplayProtocol = {
  family: 'hisense',
  name: 'Hisense (0xDD frames)',
  baudRate: 9600,
  provenance: TABLE,
  encode(cmd) {
    const [cls, fn, v] = payload(cmd);
    return frame(cls, fn, v);
  },
  replyKey: commandKey,
  parse(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const f = t.frame;
    const cls = f[4] as number;
    const fn = f[5] as number;
    const v = f[9] as number;
    if (cls === 0xd2)
      return {
        consumed: 13,
        reply: {
          answers: fn === 0x31 ? 'query.power' : 'query.volume',
          ok: true,
          value: fn === 0x31 ? (v === 0 ? 1 : 0) : v,
          raw: f,
        },
      };
    const cmd = cls === 0xd1 ? fromFn(fn, v) : undefined;
    return cmd
      ? { consumed: 13, reply: { answers: commandKey(cmd), ok: true, raw: f } }
      : { consumed: 13, error: `unexpected reply class ${cls.toString(16)} function ${fn.toString(16)}` };
  },
  decodeCommand(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const cls = t.frame[4];
    const fn = t.frame[5] as number;
    const v = t.frame[9] as number;
    if (cls === 0xc2) return { consumed: 13, cmd: { kind: 'query', what: fn === 0x31 ? 'power' : 'volume' } };
    const cmd = cls === 0xc1 ? fromFn(fn, v) : undefined;
    return cmd ? { cmd, consumed: 13 } : { consumed: 13, error: 'unknown command' };
  },
  encodeReply(cmd, state) {
    const [cls, fn, v] = payload(cmd);
    if (cls === 0xc2) return frame(0xd2, fn, fn === 0x31 ? (state.power ? 0 : 1) : state.volume);
    return frame(0xd1, fn, v);
  },
};
