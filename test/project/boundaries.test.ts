import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/env.js';

/**
 * The district service (`cloud-sync/server`) runs in a data center, not on the appliance: it may
 * depend on the shared wire protocol and on shared utilities, never on the appliance's own code
 * (its store, its health module, its runtime). A shared module may import only other shared
 * modules, so the rule holds for everything the district loads, not only its first imports.
 */
const DISTRICT = 'cloud-sync/server/';
const SHARED: Record<string, string> = {
  'cloud-sync/protocol.ts': 'the wire protocol both ends check',
  'cloud-sync/answer-signing.ts':
    "the district's signed answers and key rotation, signed by one end, checked by the other",
  'edge/security/signing.ts': 'Ed25519 and canonical JSON',
  'edge/csv.ts': 'reading CSV (rosters, classroom lists)',
  'edge/errors.ts': 'typed errors',
  'edge/log.ts': 'the logger',
  'edge/security/secrets.ts': "slow hashes of people's secrets (the district console's accounts)",
  'edge/security/hash-gate.ts': 'a bound on login hashes at once',
  // The update-bundle format: `classedge-district update-bundle` makes what the appliance's
  // updater verifies, so both ends must read the same bytes; it imports only signing, errors and
  // the version grammar.
  'edge/update/bundle.ts': 'the update-bundle format',
  'edge/update/semver.ts': 'semantic versions (grammar and order)',
};

interface Violation {
  file: string;
  specifier: string;
  resolved: string;
}

/**
 * Every import (static, `export ... from`, `import type`, dynamic `import()`) of the district's
 * files and of the shared modules they reach that leads outside both. Bare specifiers (packages,
 * `node:`) are not the appliance's code and pass.
 */
function boundaryViolations(roots: readonly string[], read: (file: string) => string | undefined): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const queue = [...roots];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = read(file);
    if (source === undefined) continue;
    for (const { fileName: specifier } of ts.preProcessFile(source, true, true).importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const resolved = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
      if (resolved.startsWith(DISTRICT) || Object.hasOwn(SHARED, resolved)) queue.push(resolved);
      else out.push({ file, specifier, resolved });
    }
  }
  return out;
}

const fromDisk = (file: string): string | undefined => {
  const path = join(ROOT, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
};

const sentence = (v: Violation): string =>
  `${v.file} imports '${v.specifier}' (${v.resolved}), which is neither the district's nor shared`;

test("the district service imports nothing of the appliance's but the shared protocol and utilities", () => {
  const roots = readdirSync(join(ROOT, DISTRICT))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${DISTRICT}${f}`);
  assert.ok(roots.includes(`${DISTRICT}district.ts`), `the district's files are found (${roots.join(', ')})`);
  for (const shared of Object.keys(SHARED)) assert.ok(existsSync(join(ROOT, shared)), `shared module ${shared} exists`);
  const violations = boundaryViolations(roots, fromDisk);
  assert.deepEqual(violations.map(sentence), []);
});

test('the boundary check names the file and the import that crosses, static, dynamic or through a shared module', () => {
  const files: Record<string, string> = {
    'cloud-sync/server/sample.ts': [
      "import { H } from '../protocol.js';",
      "import { Refusal } from './requests.js';",
      "import type { Store } from '../../edge/store/store.js';",
      "export async function f(): Promise<void> { await import('../../edge/health/roster.js'); }",
      "import pg from 'pg';",
    ].join('\n'),
    'cloud-sync/server/requests.ts': "import { gunzipSync } from 'node:zlib';\n",
    // A shared module that starts to depend on the appliance drags it into the district too.
    'cloud-sync/protocol.ts':
      "import { Config } from '../edge/config/schema.js';\nimport { signText } from '../edge/security/signing.js';\n",
    'edge/security/signing.ts': "import { sign } from 'node:crypto';\n",
  };
  const found = boundaryViolations(['cloud-sync/server/sample.ts'], (f) => files[f]).map(sentence);
  assert.deepEqual(found, [
    "cloud-sync/server/sample.ts imports '../../edge/store/store.js' (edge/store/store.ts), which is neither the district's nor shared",
    "cloud-sync/server/sample.ts imports '../../edge/health/roster.js' (edge/health/roster.ts), which is neither the district's nor shared",
    "cloud-sync/protocol.ts imports '../edge/config/schema.js' (edge/config/schema.ts), which is neither the district's nor shared",
  ]);
});

/**
 * The district's SQL lives in one module (`cloud-sync/server/store.ts`, one `withTx`): a query or a
 * pooled connection anywhere else of the district's is named with its file and line.
 */
/** The district's store modules: the only files that talk SQL (sync and keys; the fleet; the console's accounts). */
const DISTRICT_STORES = [
  'store.ts',
  'fleet-store.ts',
  'console-store.ts',
  'health-store.ts',
  'rollout-store.ts',
  'research-store.ts',
  'environment-store.ts',
].map((f) => `${DISTRICT}${f}`);

function districtSqlOutsideStore(files: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    if (DISTRICT_STORES.includes(file)) continue;
    source.split('\n').forEach((line, i) => {
      if (/\.query\s*(<[^>]*>)?\s*\(|\.connect\s*\(\s*\)/.test(line)) out.push(`${file}:${i + 1}  ${line.trim()}`);
    });
  }
  return out;
}

test("the district's SQL is all in its store modules", () => {
  const files = Object.fromEntries(
    (readdirSync(join(ROOT, DISTRICT), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [`${DISTRICT}${f}`, readFileSync(join(ROOT, DISTRICT, f), 'utf8')]),
  );
  assert.ok(Object.keys(files).includes(`${DISTRICT}console/console-app.ts`), 'the scan reaches sub-folders');
  assert.ok(Object.keys(files).includes(`${DISTRICT}store.ts`), 'the district store is found');
  assert.ok(districtSqlOutsideStore({ x: files[`${DISTRICT}store.ts`] ?? '' }).length > 0, 'the scan sees its SQL');
  assert.deepEqual(districtSqlOutsideStore(files), []);
  assert.deepEqual(
    districtSqlOutsideStore({
      [`${DISTRICT}erasure.ts`]:
        "const c = await this.#pool.connect();\nawait c.query<{ n: number }>('DELETE FROM records');",
    }),
    [
      `${DISTRICT}erasure.ts:1  const c = await this.#pool.connect();`,
      `${DISTRICT}erasure.ts:2  await c.query<{ n: number }>('DELETE FROM records');`,
    ],
  );
});
