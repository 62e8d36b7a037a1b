import fc from 'fast-check';

/**
 * Generators shared by the parser properties. Every parser gets three kinds of input: random
 * bytes, a valid frame mutated (bit flips, cuts, insertions, repetition to oversize), and a
 * frame that is well formed with random field values. Random bytes alone rarely get past a
 * parser's first check; the mutations and the well-formed frames reach the deep branches.
 */

export const bytes = (maxLength = 512): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

/** The largest mutated input: far over every frame's size, well under the MQTT packet limit. */
export const MAX_MUTATED = 64 * 1024;

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'cut'; at: number }
  | { op: 'drop'; at: number; n: number }
  | { op: 'insert'; at: number; data: Uint8Array }
  | { op: 'set'; at: number; value: number }
  | { op: 'repeat'; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('drop' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    op: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x22, 0x5c),
  }),
  fc.record({ op: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 40 }) }),
);

function apply(b: Buffer, m: Mutation): Buffer {
  const at = b.length === 0 ? 0 : m.op === 'repeat' ? 0 : (m as { at: number }).at % (b.length + 1);
  switch (m.op) {
    case 'flip': {
      if (b.length === 0) return b;
      const out = Buffer.from(b);
      const i = at % b.length;
      out[i] = (out[i] as number) ^ (1 << m.bit);
      return out;
    }
    case 'cut':
      return b.subarray(0, at);
    case 'drop':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.data), b.subarray(at)]);
    case 'set': {
      if (b.length === 0) return b;
      const out = Buffer.from(b);
      out[at % b.length] = m.value;
      return out;
    }
    case 'repeat':
      // Repeats compound over several mutations (40 x 40 ...): capped, so that an input stays a frame, not a flood.
      return Buffer.concat(Array.from({ length: m.times }, () => b)).subarray(0, MAX_MUTATED);
  }
}

/** A valid input with one to four mutations applied. */
export function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(apply, b));
}

/** Random bytes, mutations of valid frames and valid frames, in one input. */
export function hostile(valid: fc.Arbitrary<Buffer>, maxRandom = 512): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { arbitrary: bytes(maxRandom), weight: 2 },
    { arbitrary: mutated(valid), weight: 3 },
    { arbitrary: valid, weight: 1 },
  );
}

/** A byte stream made of several hostile pieces, as a serial line delivers it. */
export function stream(valid: fc.Arbitrary<Buffer>, maxPieces = 12): fc.Arbitrary<Buffer> {
  return fc.array(hostile(valid, 64), { maxLength: maxPieces }).map((parts) => Buffer.concat(parts));
}

/** Cut points for delivering `b` in chunks: the same bytes, any split. */
export const cuts = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 });

export function* chunked(b: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let at = 0;
  let k = 0;
  while (at < b.length) {
    const n = sizes[k++ % sizes.length] as number;
    yield b.subarray(at, at + n);
    at += n;
  }
}

/** Text that is mostly printable but carries control characters, quotes and non-ASCII. */
export const text = (maxLength = 200): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({
      unit: fc.constantFrom(
        '"',
        ',',
        '\n',
        '\r',
        ';',
        '=',
        '%',
        ' ',
        '\u0000',
        '\uFEFF',
        '中',
        'a',
        '0',
        '-',
        '#',
        ':',
        '{',
        '}',
        '[',
        ']',
        '&',
        '*',
        '!',
        "'",
        '\\',
        '|',
        '>',
      ),
      maxLength,
    }),
  );

/** A JSON value with the edge cases parsers get wrong: huge and negative numbers, nulls, deep nesting. */
export const jsonValue = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(null, 0, -1, 1e308, -1e308, 2 ** 53, 0.5, '', 'null', [], {}, true, '__proto__', {
      __proto__: null,
    }),
    weight: 1,
  },
);
