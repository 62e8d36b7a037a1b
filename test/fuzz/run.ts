import { TARGETS, fuzzSeed, runTarget, type FuzzResult } from './parsers.js';

/**
 * `npm run fuzz`: every parser property with at least 10 000 cases (FUZZ_RUNS to change it,
 * FUZZ_ONLY=<name,...> to pick parsers, FUZZ_SEED to repeat a run). Prints cases, time and
 * failures per parser; exits 1 if any property found an escape.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
if (!Number.isSafeInteger(runs) || runs < 1)
  throw new Error(`FUZZ_RUNS: expected a positive integer, got '${process.env.FUZZ_RUNS}'`);
const only = process.env.FUZZ_ONLY ? new Set(process.env.FUZZ_ONLY.split(',')) : undefined;
const seed = fuzzSeed();
const targets = TARGETS.filter((t) => !only || only.has(t.name));
if (only)
  for (const name of only)
    if (!TARGETS.some((t) => t.name === name))
      throw new Error(`FUZZ_ONLY: no parser '${name}' (${TARGETS.map((t) => t.name).join(', ')})`);
process.stdout.write(
  `fuzz: ${targets.length} parsers, ${runs} cases each, seed ${seed} (repeat with FUZZ_SEED=${seed})\n`,
);
const results: FuzzResult[] = [];
for (const t of targets) {
  const r = await runTarget(t, runs, seed);
  results.push(r);
  process.stdout.write(
    `${r.name.padEnd(20)} ${String(r.cases).padStart(7)} cases ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.failure ? 'FAILED' : 'ok'}\n`,
  );
  if (r.failure) process.stdout.write(`${r.failure}\n`);
}
const failed = results.filter((r) => r.failure);
process.stdout.write(
  `fuzz: ${results.length - failed.length}/${results.length} parsers without an escape (seed ${seed})\n`,
);
process.exit(failed.length > 0 ? 1 : 0);
