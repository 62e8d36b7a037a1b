import { Value } from '@sinclair/typebox/value';
import { tempDir } from '../helpers/env.js';
import { AnalysisSchema, type AnalysisConfig } from '../../edge/analysis/config.js';
import { QA_DEV_SEEDS, evaluateQaLesson, summariseQa } from './questioning-eval.js';

/**
 * The development lessons of the questioning evaluation (seeds 1-3), for choosing settings:
 * `node dist/test/eval/qa-dev.js ['{"voices":{"spreadDb":8}}']`. The held-out seeds are run only
 * by `npm run eval`.
 */
const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const a = Value.Default(AnalysisSchema, overrides) as AnalysisConfig;
const dir = tempDir('classedge-qa-dev-');
const rs = [];
for (const seed of QA_DEV_SEEDS) {
  const r = await evaluateQaLesson(dir.path, seed, a);
  rs.push(r);
  process.stdout.write(
    `seed ${seed}: wt1 errors ${r.wt1Errors.map((e) => e.toFixed(2)).join(' ')} (${r.wt1Missed} missed)\n  wt2 ${r.wt2Errors.map((e) => e.toFixed(2)).join(' ')} (${r.wt2Missed} missed)\n  episodes ${JSON.stringify(r.episodes)}\n  truth ${r.modes.truth}\n  found ${r.modes.found}\n`,
  );
}
process.stdout.write(`${JSON.stringify(summariseQa(rs), null, 1)}\n`);
dir.cleanup();
