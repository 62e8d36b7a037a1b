import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import { ROOT, tempDir } from '../helpers/env.js';
import { AnalysisSchema, type AnalysisConfig } from '../../edge/analysis/config.js';
import { evaluateSpeech } from './audio-eval.js';
import { evaluateQuestioning } from './questioning-eval.js';
import { evaluateVision, type EvalPart } from './vision-eval.js';

/**
 * `npm run eval [-- audio questioning vision]`: accuracy of the interaction analysis on material no
 * one here wrote: lessons spoken by espeak-ng and mixed by sox, classrooms composed from
 * photographs in Debian packages. Runs the parts named (all by default), writes their figures into
 * eval/results.json (other parts' figures stay), prints a summary, and exits non-zero when an
 * acceptance goal is missed.
 */
const PARTS: Record<string, (dir: string, a: AnalysisConfig) => Promise<EvalPart>> = {
  audio: evaluateSpeech,
  questioning: evaluateQuestioning,
  vision: (_dir, a) => evaluateVision(a),
};
const asked = process.argv.slice(2);
const unknown = asked.filter((p) => !(p in PARTS));
if (unknown.length) {
  process.stderr.write(`unknown part ${unknown.join(', ')}; the parts are ${Object.keys(PARTS).join(', ')}\n`);
  process.exit(2);
}
const a = Value.Default(AnalysisSchema, {}) as AnalysisConfig;
const file = join(ROOT, 'eval', 'results.json');
const out = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, unknown>;
const dir = tempDir('classedge-eval-');
const goals: string[] = [];
const lines: string[] = [];
try {
  for (const name of asked.length ? asked : Object.keys(PARTS)) {
    const part = await PARTS[name]!(dir.path, a);
    out[name] = part.out;
    goals.push(...part.goals);
    lines.push(...part.lines);
  }
} finally {
  dir.cleanup();
}
out.machine = `${cpus()[0]?.model.trim() ?? '?'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
mkdirSync(join(ROOT, 'eval'), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(
  [
    ...lines,
    goals.length ? `GOALS MISSED: ${goals.join('; ')}` : 'All acceptance goals met.',
    'wrote eval/results.json',
    '',
  ].join('\n'),
);
process.exitCode = goals.length ? 1 : 0;
