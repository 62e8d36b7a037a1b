import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS, fuzzSeed, runTarget } from './parsers.js';

/**
 * The parser properties of `npm run fuzz` with few cases, so that `npm test` catches a parser that
 * starts throwing. The seed is fixed (FUZZ_SEED overrides it) so that a failure repeats.
 */
const RUNS = 200;
const seed = fuzzSeed();

for (const t of TARGETS) {
  test(`fuzz ${t.name}: ${t.asserts}`, { timeout: 120_000 }, async () => {
    const r = await runTarget(t, t.name === 'http-api' || t.name === 'mqtt-broker' ? 100 : RUNS, seed);
    assert.equal(r.failure, undefined, `seed ${seed}: ${r.failure}`);
  });
}
