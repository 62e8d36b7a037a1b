import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { profileLoader } from '../profile-files.js';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { StringEnum } from '../../edge/config/string-enum.js';
import { METRICS } from '../../edge/metrics.js';
import { ConfigError, type ValidationIssue } from '../../edge/errors.js';
import type { ReadFn } from './codec.js';

/**
 * A sensor model as data: which registers hold what, how to scale them, and how to re-address it.
 * Adding a model is adding `firmware-bridge/profiles/modbus/<id>.json` (docs/modbus.md).
 */
export const PointSchema = Type.Object(
  {
    metric: Type.String({ description: 'Metric name from edge/metrics.ts, e.g. co2_ppm.' }),
    fn: Type.Union([Type.Literal(3), Type.Literal(4)], { description: '3 = holding registers, 4 = input registers.' }),
    register: Type.Integer({ minimum: 0, maximum: 65535 }),
    type: StringEnum(['uint16', 'int16', 'uint32', 'int32'] as const),
    wordOrder: StringEnum(['high-first', 'low-first'] as const, {
      default: 'high-first',
      description: 'For 32-bit values.',
    }),
    scale: Type.Number({ default: 1, description: 'value = raw × scale + offset' }),
    offset: Type.Number({ default: 0 }),
  },
  { additionalProperties: false },
);

export const ProfileSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    name: Type.String(),
    notes: Type.Optional(Type.String()),
    defaults: Type.Object(
      {
        address: Type.Integer({ minimum: 1, maximum: 247, default: 1 }),
        baudRate: Type.Integer({ default: 9600 }),
        parity: StringEnum(['none', 'even', 'odd'] as const, { default: 'none' }),
      },
      { additionalProperties: false, default: {} },
    ),
    addressRegister: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'Written with function 6 to re-address the sensor.' }),
    ),
    baudRegister: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    baudCodes: Type.Optional(
      Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.Integer({ minimum: 0, maximum: 65535 })),
    ),
    points: Type.Array(PointSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type Point = Static<typeof PointSchema>;
export type Profile = Static<typeof ProfileSchema>;

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile<Profile>(ProfileSchema);

export const PROFILE_DIR = fileURLToPath(new URL('../../../firmware-bridge/profiles/modbus/', import.meta.url));

/** Check one profile document; every problem is reported with the file's name. */
export function parseProfile(doc: unknown, source: string): Profile {
  const issues: ValidationIssue[] = [];
  if (!validate(doc)) {
    for (const e of validate.errors ?? [])
      issues.push({ path: e.instancePath, expected: (e.message ?? 'valid').replace(/^must (be )?/, '') });
    throw new ConfigError(source, issues);
  }
  doc.points.forEach((p, i) => {
    if (!METRICS[p.metric])
      issues.push({
        path: `/points/${i}/metric`,
        expected: `a known metric (${Object.keys(METRICS).join(', ')})`,
        value: p.metric,
      });
  });
  if (basename(source, '.json') !== doc.id && source.endsWith('.json'))
    issues.push({ path: '/id', expected: `the file's name (${basename(source, '.json')})`, value: doc.id });
  if (issues.length > 0) throw new ConfigError(source, issues);
  return doc;
}

/** All profiles shipped in firmware-bridge/profiles/modbus (or of a test's folder), by id. */
export const loadProfiles = profileLoader(PROFILE_DIR, parseProfile);

export function profileIds(): string[] {
  return [...loadProfiles().keys()];
}

const words = (p: Point): number => (p.type === 'uint32' || p.type === 'int32' ? 2 : 1);

/** One read request's worth of registers. */
export interface ReadBlock {
  fn: ReadFn;
  start: number;
  count: number;
}

/**
 * Plan the reads for a profile: points of one function merged into as few requests as possible
 * (contiguous, or with a gap of at most 4 unused registers), each at most 125 registers.
 */
export function planReads(profile: Profile): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of [3, 4] as const) {
    const pts = profile.points.filter((p) => p.fn === fn).sort((a, b) => a.register - b.register);
    let cur: ReadBlock | undefined;
    for (const p of pts) {
      const end = p.register + words(p);
      if (cur && p.register <= cur.start + cur.count + 4 && end - cur.start <= 125) {
        cur.count = Math.max(cur.count, end - cur.start);
      } else {
        cur = { fn, start: p.register, count: words(p) };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

function raw(p: Point, regs: (i: number) => number): number {
  const r = p.register;
  if (words(p) === 1) {
    const v = regs(r);
    return p.type === 'int16' && v >= 0x8000 ? v - 0x10000 : v;
  }
  const [hi, lo] = p.wordOrder === 'high-first' ? [regs(r), regs(r + 1)] : [regs(r + 1), regs(r)];
  const u = hi * 0x10000 + lo;
  return p.type === 'int32' && u >= 0x80000000 ? u - 0x100000000 : u;
}

/** Registers read (by fn and address) -> metric values. */
export function decodePoints(profile: Profile, read: (fn: ReadFn, register: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of profile.points) {
    const v = raw(p, (i) => read(p.fn, i)) * p.scale + p.offset;
    out[p.metric] = Math.round(v * 1e6) / 1e6;
  }
  return out;
}

/** The inverse, for the simulator: a metric value -> the register words a real sensor would hold. */
export function encodePoint(p: Point, value: number): number[] {
  let r = Math.round((value - p.offset) / p.scale);
  if (words(p) === 1) {
    r = Math.max(p.type === 'int16' ? -0x8000 : 0, Math.min(p.type === 'int16' ? 0x7fff : 0xffff, r));
    return [r < 0 ? r + 0x10000 : r];
  }
  const u = r < 0 ? r + 0x100000000 : r;
  const hi = Math.floor(u / 0x10000) & 0xffff;
  const lo = u & 0xffff;
  return p.wordOrder === 'high-first' ? [hi, lo] : [lo, hi];
}
