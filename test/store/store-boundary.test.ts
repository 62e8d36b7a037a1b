import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/env.js';

/**
 * The store's rule: SQL lives in edge/store (its repositories) and, on the district side, in
 * cloud-sync/server. Everything else reaches data through a repository or `store.transaction`.
 * This scan parses each source file (so comments and strings are not mistaken for calls) and
 * reports every place that talks to SQLite directly:
 * - `.prepare(`, `.pragma(`: only a SQLite connection has them;
 * - `.exec(` with SQL text, or on a receiver named like a connection (`db`, `conn`, `*Db`, `sqlite`);
 *   `RegExp.exec` has a regular expression or a pattern constant as receiver and no SQL argument;
 * - `.transaction(` on anything but a `store` (Store.transaction is the one allowed way);
 * - `.backup(` on a connection-like receiver, and importing better-sqlite3 at all.
 */
const SCANNED = ['edge', 'cloud-sync', 'firmware-bridge', 'bin', 'models'];
const SQL_OWNERS = ['edge/store/', 'cloud-sync/server/'];

const SQL_TEXT =
  /^\s*(?:--[^\n]*\n\s*)*(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|WITH|VACUUM|ATTACH|DETACH|ANALYZE|REINDEX)\b/i;
const CONNECTION = /(?:^|[.#])(?:db|database|sqlite|conn|connection)$|Db$/;

export interface SqlSite {
  file: string;
  line: number;
  /** The call as written (shortened). */
  code: string;
}

function leadingText(arg: ts.Expression | undefined): string | undefined {
  if (!arg) return undefined;
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return arg.text;
  if (ts.isTemplateExpression(arg)) return arg.head.text;
  return undefined;
}

/** The receiver's last name: `this.#o.store` -> `store`, `db` -> `db`. */
function lastName(e: ts.Expression): string {
  if (ts.isIdentifier(e) || ts.isPrivateIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return '';
}

function isSqlCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const method = callee.name.text;
  const receiver = callee.expression;
  const name = lastName(receiver);
  switch (method) {
    case 'prepare':
    case 'pragma':
      return true;
    case 'exec':
      if (ts.isRegularExpressionLiteral(receiver)) return false;
      return SQL_TEXT.test(leadingText(call.arguments[0]) ?? '') || CONNECTION.test(name);
    case 'transaction':
      return !/^#?store$/i.test(name);
    case 'backup':
      return CONNECTION.test(name);
    default:
      return false;
  }
}

/** Every direct use of SQLite in one source text. */
export function scanSource(file: string, text: string): SqlSite[] {
  const kind = /\.(?:js|mjs)$/.test(file)
    ? ts.ScriptKind.JS
    : /\.tsx$/.test(file)
      ? ts.ScriptKind.TSX
      : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const sites: SqlSite[] = [];
  const at = (node: ts.Node): void => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    sites.push({ file, line, code: node.getText(sf).replace(/\s+/g, ' ').slice(0, 100) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isSqlCall(node)) at(node);
    const from = ts.isImportDeclaration(node)
      ? node.moduleSpecifier
      : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
        ? node.arguments[0]
        : undefined;
    if (from && ts.isStringLiteral(from) && from.text === 'better-sqlite3') at(node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return sites;
}

function sourceFiles(): string[] {
  return SCANNED.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(?:ts|tsx|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
      .map((e) => relative(ROOT, join(e.parentPath, e.name)))
      .filter((f) => !f.split('/').includes('node_modules')),
  );
}

/** SQL sites outside the store modules, one `file:line  code` each. */
export function violations(files: { file: string; text: string }[]): string[] {
  return files
    .filter((f) => !SQL_OWNERS.some((owner) => f.file.startsWith(owner)))
    .flatMap((f) => scanSource(f.file, f.text))
    .map((s) => `${s.file}:${s.line}  ${s.code}`);
}

const tree = (): { file: string; text: string }[] =>
  sourceFiles().map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

test('no SQL outside edge/store and cloud-sync/server: everything else goes through a repository', () => {
  const found = violations(tree());
  assert.deepEqual(
    found,
    [],
    `SQL outside the store (move it into a repository under edge/store/repos/):\n${found.join('\n')}`,
  );
});

test('the scan sees the SQL the store does hold, so an empty answer above means something', () => {
  const inStore = tree()
    .filter((f) => f.file.startsWith('edge/store/'))
    .flatMap((f) => scanSource(f.file, f.text));
  assert.ok(inStore.length > 50, `only ${inStore.length} SQL sites found in edge/store`);
  assert.ok(inStore.some((s) => s.file === 'edge/store/repos/health.ts'));
  assert.ok(inStore.some((s) => s.file === 'edge/store/db.ts' && /pragma/.test(s.code)));
});

test('the scan names file and line of each direct use of SQLite, and leaves RegExp.exec and store.transaction alone', () => {
  const sample = [
    "import Database from 'better-sqlite3';",
    'export function f(store: Store, db: Db, text: string): void {',
    "  const n = store.db.prepare('SELECT count(*) AS n FROM students').get();",
    '  this.#o.store.db',
    '    .exec(`CREATE TRIGGER t BEFORE INSERT ON readings BEGIN SELECT 1; END`);',
    "  db.pragma('quick_check', { simple: true });",
    '  db.transaction(() => 1).immediate();',
    '  conn.exec(migration.sql);',
    "  void db.backup('/tmp/copy.db');",
    '  // db.prepare("in a comment") is not a call',
    '  const s = "db.exec(\'in a string\')";',
    '  const m = /^::ffff:(\\d+)$/i.exec(text);',
    '  const k = PATTERN.exec(text);',
    '  store.transaction(() => store.meta.get("enrolled"));',
    '  this.#o.store.transaction(() => 1);',
    "  child.exec('ls -l');",
    '}',
  ].join('\n');
  assert.deepEqual(
    violations([{ file: 'edge/health/sample.ts', text: sample }]).map((v) => v.split('  ')[0]),
    [
      'edge/health/sample.ts:1',
      'edge/health/sample.ts:3',
      'edge/health/sample.ts:4',
      'edge/health/sample.ts:6',
      'edge/health/sample.ts:7',
      'edge/health/sample.ts:8',
      'edge/health/sample.ts:9',
    ],
  );
  assert.match(
    violations([{ file: 'edge/x.ts', text: "db.prepare('DELETE FROM meta').run();" }])[0] ?? '',
    /^edge\/x\.ts:1 {2}db\.prepare\('DELETE FROM meta'\)/,
  );
  assert.deepEqual(violations([{ file: 'edge/store/repos/x.ts', text: sample }]), [], 'the store itself may');
  assert.deepEqual(violations([{ file: 'cloud-sync/server/x.ts', text: sample }]), [], 'and so may the district store');
  assert.deepEqual(
    violations([{ file: 'bin/x.js', text: "const Database = (await import('better-sqlite3')).default;" }]).length,
    1,
    'a dynamic import counts too',
  );
});
