import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, readGraph, valueImports } from '../helpers/import-graph.js';
import { ROOT } from '../helpers/env.js';

/**
 * No import cycle that is not type-only: a cycle of value imports makes a module run before the one
 * it needs has finished loading (a `TypeError: X is not a constructor` at start-up, or an undefined
 * constant), and it ties components that should be separable. Type-only cycles are erased at compile.
 */
const DIRS = ['edge', 'cloud-sync', 'firmware-bridge', 'models', 'ui-kiosk/src', 'test'];

test('no import cycle of value imports in the tree (type-only imports excepted)', () => {
  const graph = readGraph(ROOT, DIRS);
  assert.ok(graph.size > 200, `the sources are found (${graph.size})`);
  const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
  assert.ok(edges > 500, `their imports are read (${edges})`);
  assert.deepEqual(
    importCycles(graph).map((c) => c.join(' → ')),
    [],
  );
});

test('the cycle check finds a value cycle, through re-exports too, and ignores type-only edges', () => {
  const sources: Record<string, string> = {
    'edge/a.ts': "import { b } from './b.js';\nimport type { T } from './t.js';\nexport const a = b;",
    'edge/b.ts': "export { c as b } from './c.js';",
    'edge/c.ts': "import { a } from './a.js';\nexport const c = 1;\nexport const d = a;",
    'edge/t.ts': "import { type A } from './a.js';\nexport type T = A;",
    'edge/u.ts': "export type { T } from './t.js';\nimport './u.js';",
    'edge/v.ts': "export async function f(): Promise<unknown> { return import('./a.js'); }",
  };
  assert.deepEqual(valueImports('edge/a.ts', sources['edge/a.ts']!), ['edge/b.ts']);
  assert.deepEqual(valueImports('edge/t.ts', sources['edge/t.ts']!), []);
  const graph = new Map(Object.entries(sources).map(([f, s]) => [f, valueImports(f, s)]));
  assert.deepEqual(importCycles(graph), [['edge/a.ts', 'edge/b.ts', 'edge/c.ts'], ['edge/u.ts']]);
});
