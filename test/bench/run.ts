import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/env.js';
import { figureGroups } from './figures.js';
import { checkFigures } from './guard.js';

/**
 * `npm run bench [-- NAME...]`: runs the benchmark figures (all, or the groups producing NAMEs) and
 * merges them into bench/results.json, with the machine they were measured on. A figure that is
 * missing, not a number, or 0 (measured nothing) fails the run before anything is written.
 */
const wanted = process.argv.slice(2);
const known = figureGroups.flatMap((g) => g.figures);
const unknown = wanted.filter((w) => !known.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown figure(s): ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
  process.exit(2);
}
const groups =
  wanted.length === 0 ? figureGroups : figureGroups.filter((g) => g.figures.some((f) => wanted.includes(f)));
const file = join(ROOT, 'bench', 'results.json');
const results: Record<string, unknown> = existsSync(file)
  ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
  : {};
for (const g of groups) {
  process.stderr.write(`bench: ${g.figures.join(', ')} ...\n`);
  // A group that measured nothing stops the run here: nothing of it is written (guard.ts).
  const figures = checkFigures(g, await g.run());
  for (const [k, v] of Object.entries(figures)) {
    results[k] = v;
    process.stderr.write(`  ${k} = ${v}\n`);
  }
}
const cpu = cpus();
results.machine = `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${osType()} ${release()}, Node ${process.version}, measured ${new Date().toISOString().slice(0, 10)}`;
mkdirSync(join(ROOT, 'bench'), { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stderr.write(`wrote ${file}\n`);
