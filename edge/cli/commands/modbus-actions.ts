import { openSerial, closeSerial } from '../../../firmware-bridge/serial/serial-link.js';
import { SERIAL_WRITE_TIMEOUT_MS } from '../../../firmware-bridge/serial/defaults.js';
import { RtuMaster, ModbusException, type RawFrame } from '../../../firmware-bridge/modbus/rtu-master.js';
import { decodePoints, loadProfiles, planReads, type Profile } from '../../../firmware-bridge/modbus/profile.js';
import { ValidationError } from '../../errors.js';
import { print, table } from '../io.js';

export interface PortOptions {
  port: string;
  parity: 'none' | 'even' | 'odd';
  timeout: string;
  frames?: boolean;
  json?: boolean;
}

const int = (v: string, name: string, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError('option', [{ path: `--${name}`, expected: `an integer ${min}..${max}`, value: v }]);
  return n;
};

function profileOf(id: string): Profile {
  const p = loadProfiles().get(id);
  if (!p)
    throw new ValidationError('option', [
      { path: '--profile', expected: `one of ${[...loadProfiles().keys()].join(', ')}`, value: id },
    ]);
  return p;
}

/** Open the port, hand a master to `fn`, always close. Raw frames go to stderr with --frames. */
async function withMaster<T>(o: PortOptions, baudRate: number, fn: (m: RtuMaster) => Promise<T>): Promise<T> {
  const port = await openSerial({ path: o.port, baudRate, parity: o.parity });
  const onFrame = o.frames
    ? (f: RawFrame) =>
        process.stderr.write(
          `${new Date(f.at).toISOString()} ${baudRate} ${f.dir} ${f.hex}${f.error ? `  <- ${f.error}` : ''}\n`,
        )
    : undefined;
  const master = new RtuMaster({
    port,
    baudRate,
    responseTimeoutMs: int(o.timeout, 'timeout', 10, 5000),
    usbLatencyMs: 20,
    writeTimeoutMs: SERIAL_WRITE_TIMEOUT_MS,
    ...(onFrame ? { onFrame } : {}),
  });
  try {
    return await fn(master);
  } finally {
    master.close();
    await closeSerial(port);
  }
}

export async function scan(o: PortOptions & { bauds: string; from: string; to: string }): Promise<void> {
  const from = int(o.from, 'from', 1, 247);
  const to = int(o.to, 'to', from, 247);
  const bauds = o.bauds.split(',').map((b) => int(b.trim(), 'bauds', 1200, 115200));
  const found: { address: number; baudRate: number; answer: string }[] = [];
  for (const baud of bauds) {
    await withMaster(o, baud, async (m) => {
      for (let a = from; a <= to; a++) {
        try {
          const r = await m.request({ fn: 3, address: a, start: 0, count: 1 });
          found.push({
            address: a,
            baudRate: baud,
            answer: r.kind === 'registers' ? `register 0 = ${r.values[0]}` : r.kind,
          });
        } catch (err) {
          // An exception is an answer too: something lives at this address.
          if (err instanceof ModbusException)
            found.push({ address: a, baudRate: baud, answer: `exception ${err.exceptionCode}` });
        }
      }
    });
  }
  print(o, found, () =>
    found.length
      ? table(found, ['address', 'baudRate', 'answer'])
      : `no slave answered on ${o.port} (addresses ${from}-${to}, ${bauds.join('/')} baud)`,
  );
  if (found.length === 0) process.exitCode = 1;
}

export async function setAddress(
  o: PortOptions & { profile: string; from: string; to: string; baud: string },
): Promise<void> {
  const p = profileOf(o.profile);
  if (p.addressRegister === undefined)
    throw new ValidationError('option', [
      { path: '--profile', expected: 'a profile with an address register', value: p.id },
    ]);
  const from = int(o.from, 'from', 1, 247);
  const to = int(o.to, 'to', 1, 247);
  const result = await withMaster(o, int(o.baud, 'baud', 1200, 115200), async (m) => {
    await m.request({ fn: 6, address: from, register: p.addressRegister as number, value: to });
    const block = planReads(p)[0];
    if (block) await m.request({ fn: block.fn, address: to, start: block.start, count: block.count });
    return { profile: p.id, from, to, verified: true };
  });
  print(o, result, () => `${p.name}: address ${from} -> ${to}, answers at ${to}`);
}

export async function read(o: PortOptions & { profile: string; address: string; baud: string }): Promise<void> {
  const p = profileOf(o.profile);
  const address = int(o.address, 'address', 1, 247);
  const metrics = await withMaster(o, int(o.baud, 'baud', 1200, 115200), async (m) => {
    const regs = new Map<string, number>();
    for (const b of planReads(p)) {
      const r = await m.request({ fn: b.fn, address, start: b.start, count: b.count });
      if (r.kind === 'registers') r.values.forEach((v, i) => regs.set(`${b.fn}:${b.start + i}`, v));
    }
    return decodePoints(p, (fn, r) => regs.get(`${fn}:${r}`) ?? 0);
  });
  print(o, metrics, () =>
    Object.entries(metrics)
      .map(([k, v]) => `${k.padEnd(16)} ${v}`)
      .join('\n'),
  );
}
