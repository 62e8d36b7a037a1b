import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import type { FigureGroup } from './figures.js';
import { measured } from './guard.js';

/**
 * `fresh_demo_s`: seconds from `npm run demo` in a bare Debian root (scripts/fresh-root-check.sh:
 * debootstrap's minimal root, the machine's older Node, a clone of the committed HEAD) to the
 * first answer of /api/v1/health; `fresh_demo_media_ready_s`: until remote lessons work (the media
 * worker built in the background). Needs root and debootstrap; takes about ten minutes.
 */
async function freshDemo(): Promise<Record<string, number>> {
  const dir = tempDir('classedge-bench-fresh-');
  try {
    const out = join(dir.path, 'fresh-root.json');
    const r = await run('bash', [join(ROOT, 'scripts', 'fresh-root-check.sh'), '--only', 'demo', '--out', out]);
    const figures = JSON.parse(readFileSync(out, 'utf8')) as {
      fresh_demo_s: number | null;
      fresh_demo_media_ready_s: number | null;
    };
    // Measured nothing is a failure, not a flattering number.
    if (
      r.code !== 0 ||
      typeof figures.fresh_demo_s !== 'number' ||
      typeof figures.fresh_demo_media_ready_s !== 'number'
    ) {
      throw new Error(
        `the bare-root demo did not come up (exit ${String(r.code)}): ${r.out.slice(-2000)}${r.err.slice(-2000)}`,
      );
    }
    return {
      fresh_demo_s: measured('seconds to the demo', figures.fresh_demo_s),
      fresh_demo_media_ready_s: measured('seconds to media ready', figures.fresh_demo_media_ready_s),
    };
  } finally {
    dir.cleanup();
  }
}

export const freshFigures: FigureGroup[] = [{ figures: ['fresh_demo_s', 'fresh_demo_media_ready_s'], run: freshDemo }];
