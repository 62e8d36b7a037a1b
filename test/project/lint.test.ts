import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/env.js';

test('lint: typescript-eslint with no floating promises and exhaustive switches is clean', () => {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', '.'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test('format: every TypeScript and JavaScript file is as Prettier writes it (.prettierrc.json, 120 columns)', () => {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '.'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  assert.equal(r.status, 0, `run \`npm run format\` to fix:\n${r.stdout}\n${r.stderr}`);
});
