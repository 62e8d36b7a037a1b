import {
  checkLevel,
  commandKey,
  type DisplayCommand,
  type DisplayProtocol,
  type Provenance,
  type Source,
} from './protocol.js';

/**
 * Hitevision / Newline, 115200 8N1: `7F <len> 99 A2 B3 C4 02 FF <cmd…> CF`, where len counts the
 * bytes between it and CF. Replies: `7F 09 99 A2 B3 C4 02 FF <c1> <c2> <v> CF` (c1 c2 echo the
 * command, v is 00 for done or the queried value).
 */
const HEAD = [0x99, 0xa2, 0xb3, 0xc4, 0x02, 0xff];
const SOURCE_CODE: Record<Source, number> = { whiteboard: 0x07, hdmi1: 0x0a, hdmi2: 0x0b, ops: 0x0c };

const TABLE: Record<string, Provenance> = {
  power: 'devices.md',
  source: 'devices.md',
  volume: 'devices.md',
  'query.volume': 'devices.md',
  mute: 'assumed', // devices.md gives 01 02 (toggle); the on/off pair 01 02 / 01 03 is assumed
  brightness: 'assumed', // devices.md gives 01 47 (one step up) only; absolute 06 <v> is assumed
  eyeCare: 'assumed',
  'query.power': 'assumed',
};

function cmdBytes(cmd: DisplayCommand): number[] {
  switch (cmd.kind) {
    case 'power':
      return [0x01, cmd.on ? 0x00 : 0x01];
    case 'source':
      return [0x01, SOURCE_CODE[cmd.source]];
    case 'volume':
      return [0x05, checkLevel(cmd.level, 'volume')];
    case 'mute':
      return [0x01, cmd.on ? 0x02 : 0x03];
    case 'brightness':
      return [0x06, checkLevel(cmd.level, 'brightness')];
    case 'eyeCare':
      return [0x01, cmd.on ? 0x50 : 0x51];
    case 'query':
      return [0x01, cmd.what === 'volume' ? 0x33 : 0x31];
  }
}

function frame(body: number[]): Buffer {
  return Buffer.from([0x7f, HEAD.length + body.length, ...HEAD, ...body, 0xcf]);
}

function fromBytes(c1: number, c2: number): DisplayCommand | undefined {
  if (c1 === 0x05) return { kind: 'volume', level: c2 };
  if (c1 === 0x06) return { kind: 'brightness', level: c2 };
  if (c1 !== 0x01) return undefined;
  const src = (Object.entries(SOURCE_CODE) as [Source, number][]).find(([, v]) => v === c2);
  if (src) return { kind: 'source', source: src[0] };
  const simple: Record<number, DisplayCommand> = {
    0x00: { kind: 'power', on: true },
    0x01: { kind: 'power', on: false },
    0x02: { kind: 'mute', on: true },
    0x03: { kind: 'mute', on: false },
    0x50: { kind: 'eyeCare', on: true },
    0x51: { kind: 'eyeCare', on: false },
    0x31: { kind: 'query', what: 'power' },
    0x33: { kind: 'query', what: 'volume' },
  };
  return simple[c2];
}

/** Frame boundaries: 7F, then len, then len bytes, then CF. */
function takeFrame(buf: Buffer): { frame?: Buffer; consumed: number; error?: string } {
  const start = buf.indexOf(0x7f);
  if (start < 0)
    return { consumed: buf.length, ...(buf.length ? { error: `no 7F start byte in ${buf.length} bytes` } : {}) };
  if (start > 0) return { consumed: start, error: `skipped ${start} bytes before 7F` };
  if (buf.length < 2) return { consumed: 0 };
  const len = buf[1] as number;
  if (len < HEAD.length || len > 32) return { consumed: 1, error: `length byte ${len} outside ${HEAD.length}..32` };
  const total = len + 3;
  if (buf.length < total) return { consumed: 0 };
  const f = buf.subarray(0, total);
  if (f[total - 1] !== 0xcf)
    return { consumed: 1, error: `frame does not end with CF (got ${(f[total - 1] as number).toString(16)})` };
  if (!HEAD.every((b, i) => f[2 + i] === b)) return { consumed: total, error: 'frame header is not 99 A2 B3 C4 02 FF' };
  return { frame: f, consumed: total };
}

export const hitevision: DisplayProtocol = {
  family: 'hitevision',
  name: 'Hitevision / Newline (0x7F frames)',
  baudRate: 115200,
  provenance: TABLE,
  encode: (cmd) => frame(cmdBytes(cmd)),
  replyKey: commandKey,
  parse(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const f = t.frame;
    if (f.length !== 12 || f[1] !== 0x09)
      return { consumed: t.consumed, error: `reply of ${f.length} bytes, expected 12 (7F 09 …)` };
    const cmd = fromBytes(f[8] as number, f[9] as number);
    const v = f[10] as number;
    if (!cmd)
      return {
        consumed: t.consumed,
        error: `reply to unknown command ${(f[8] as number).toString(16)} ${(f[9] as number).toString(16)}`,
      };
    const isQuery = cmd.kind === 'query';
    return {
      consumed: t.consumed,
      reply: { answers: commandKey(cmd), ok: isQuery || v === 0, ...(isQuery ? { value: v } : {}), raw: f },
    };
  },
  decodeCommand(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const body = t.frame.subarray(8, t.frame.length - 1);
    const cmd = body.length === 2 ? fromBytes(body[0] as number, body[1] as number) : undefined;
    return cmd ? { cmd, consumed: t.consumed } : { consumed: t.consumed, error: 'unknown command' };
  },
  encodeReply(cmd, state) {
    const [c1, c2] = cmdBytes(cmd) as [number, number];
    const v = cmd.kind === 'query' ? (cmd.what === 'volume' ? state.volume : state.power ? 1 : 0) : 0;
    return frame([c1, c2, v]);
  },
};
