import {
  checkLevel,
  commandKey,
  type DisplayCommand,
  type DisplayProtocol,
  type Provenance,
  type Source,
} from './protocol.js';

/**
 * MAXHUB, 9600 8N1 (also TCP 4664): 9 ASCII bytes `: 0 1 <op> d d d d CR`. devices.md gives power
 * on `:01S0003` and off `:01S0002`; the rest of the table follows that pattern (assumed). Replies:
 * `:01R<same 4>` for a done command, `:01P<t><3-digit value>` for a query (t = 1 power, 2 volume).
 */
const SOURCE_CODE: Record<Source, string> = { hdmi1: '0010', hdmi2: '0011', ops: '0012', whiteboard: '0013' };
const TABLE: Record<string, Provenance> = {
  power: 'devices.md',
  source: 'assumed',
  volume: 'assumed',
  mute: 'assumed',
  brightness: 'assumed',
  eyeCare: 'assumed',
  'query.power': 'assumed',
  'query.volume': 'assumed',
};

const d3 = (n: number): string => String(n).padStart(3, '0');

function body(cmd: DisplayCommand): { op: string; arg: string } {
  switch (cmd.kind) {
    case 'power':
      return { op: 'S', arg: cmd.on ? '0003' : '0002' };
    case 'source':
      return { op: 'S', arg: SOURCE_CODE[cmd.source] };
    case 'volume':
      return { op: 'S', arg: `1${d3(checkLevel(cmd.level, 'volume'))}` };
    case 'brightness':
      return { op: 'S', arg: `2${d3(checkLevel(cmd.level, 'brightness'))}` };
    case 'mute':
      return { op: 'S', arg: cmd.on ? '0020' : '0021' };
    case 'eyeCare':
      return { op: 'S', arg: cmd.on ? '0030' : '0031' };
    case 'query':
      return { op: 'Q', arg: cmd.what === 'power' ? '0001' : '0002' };
  }
}

function fromSet(arg: string): DisplayCommand | undefined {
  if (/^1\d{3}$/.test(arg)) return { kind: 'volume', level: Number(arg.slice(1)) };
  if (/^2\d{3}$/.test(arg)) return { kind: 'brightness', level: Number(arg.slice(1)) };
  const src = (Object.entries(SOURCE_CODE) as [Source, string][]).find(([, v]) => v === arg);
  if (src) return { kind: 'source', source: src[0] };
  const simple: Record<string, DisplayCommand> = {
    '0003': { kind: 'power', on: true },
    '0002': { kind: 'power', on: false },
    '0020': { kind: 'mute', on: true },
    '0021': { kind: 'mute', on: false },
    '0030': { kind: 'eyeCare', on: true },
    '0031': { kind: 'eyeCare', on: false },
  };
  return simple[arg];
}

/** Nine bytes from a ':' to a CR; anything else before a ':' is skipped and reported. */
function takeFrame(buf: Buffer): { frame?: string; consumed: number; error?: string } {
  const start = buf.indexOf(0x3a);
  if (start < 0)
    return { consumed: buf.length, ...(buf.length ? { error: `no ':' start byte in ${buf.length} bytes` } : {}) };
  if (start > 0) return { consumed: start, error: `skipped ${start} bytes before ':'` };
  if (buf.length < 9) return { consumed: 0 };
  const f = buf.subarray(0, 9).toString('latin1');
  if (!/^:01[A-Z][0-9]{4}\r$/.test(f)) return { consumed: 1, error: `not a MAXHUB frame: ${JSON.stringify(f)}` };
  return { frame: f, consumed: 9 };
}

const frame = (op: string, arg: string): Buffer => Buffer.from(`:01${op}${arg}\r`, 'latin1');

export const maxhub: DisplayProtocol = {
  family: 'maxhub',
  name: 'MAXHUB (ASCII frames)',
  baudRate: 9600,
  tcpPort: 4664,
  provenance: TABLE,
  encode(cmd) {
    const b = body(cmd);
    return frame(b.op, b.arg);
  },
  replyKey: commandKey,
  parse(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const op = t.frame[3] as string;
    const arg = t.frame.slice(4, 8);
    if (op === 'R') {
      const cmd = fromSet(arg);
      return cmd
        ? { consumed: 9, reply: { answers: commandKey(cmd), ok: true, raw: buf.subarray(0, 9) } }
        : { consumed: 9, error: `reply to unknown command ${arg}` };
    }
    if (op === 'P') {
      const what = arg[0] === '1' ? 'query.power' : arg[0] === '2' ? 'query.volume' : undefined;
      if (!what) return { consumed: 9, error: `unknown query reply ${arg}` };
      return { consumed: 9, reply: { answers: what, ok: true, value: Number(arg.slice(1)), raw: buf.subarray(0, 9) } };
    }
    return { consumed: 9, error: `unexpected reply operation '${op}'` };
  },
  decodeCommand(buf) {
    const t = takeFrame(buf);
    if (!t.frame) return t;
    const op = t.frame[3];
    const arg = t.frame.slice(4, 8);
    if (op === 'Q') return { consumed: 9, cmd: { kind: 'query', what: arg === '0001' ? 'power' : 'volume' } };
    const cmd = op === 'S' ? fromSet(arg) : undefined;
    return cmd ? { cmd, consumed: 9 } : { consumed: 9, error: `unknown command ${t.frame.trim()}` };
  },
  encodeReply(cmd, state) {
    if (cmd.kind === 'query')
      return frame(
        'P',
        `${cmd.what === 'power' ? '1' : '2'}${d3(cmd.what === 'power' ? (state.power ? 1 : 0) : state.volume)}`,
      );
    return frame('R', body(cmd).arg);
  },
};
