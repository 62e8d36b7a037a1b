import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Finds, in the source text, every outside program the code starts, for test/project/programs.test.ts.
 * A text scan, not a type-level analysis: it reads what a reviewer reads. What it recognises:
 *
 * P1 `spawn|spawnSync|execFile|execFileSync|exec|execSync(` with a literal first argument
 *    ('x', "x", or a template whose `${NAME}` parts are `const NAME = '...'` of the same file);
 *    for exec/execSync the first word of the shell command.
 * P2 the same for a file's spawn wrappers: `run` imported from test/helpers/run.js,
 *    `const N = promisify(execFile)`, or a local `function N(cmd: string, ...)` that spawns `cmd`.
 * P3 program references through the table: `programCommand('x')`, `need('x'...)`, in a file that
 *    imports edge/runtime/programs.ts.
 * P4 a config schema field named `...Path` with a string default (`ffmpegPath` default 'ffmpeg').
 * P5 an absolute path to a program in a string literal: /usr/bin/x, /bin/x, /usr/sbin/x,
 *    /usr/lib/.../bin/x (playwright's executablePath, python3 by path).
 * P6 Python: imports in .py files and in `'-c', '...'` scripts; `dist-packages/<module>` paths.
 *
 * A spawn whose first argument is anything else (a variable) is reported as dynamic: the test
 * accepts it only if it is `process.execPath`, a wrapper's own parameter, or listed with a reason.
 */

export interface ProgramSite {
  file: string;
  line: number;
  /** A name looked up on PATH, or an absolute path. */
  program: string;
  /** Which pattern found it (P1..P5). */
  how: string;
}

export interface DynamicSite {
  file: string;
  line: number;
  expr: string;
}

export interface PythonSite {
  file: string;
  line: number;
  module: string;
}

export interface ScanResult {
  programs: ProgramSite[];
  dynamic: DynamicSite[];
  python: PythonSite[];
  files: number;
}

const SPAWNERS = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync'];
/** Not a member call (`db.prepare(..).run(`, `re.exec(`, `this.#spawn(`) nor a definition. */
const CALL_START = String.raw`(?<![\w.#$])(?<!function\s+)(?<!async\s+)`;
/** A literal first argument: '..', ".." or `..` on one line. */
const LITERAL = String.raw`('[^'\n]*'|"[^"\n]*"|\`[^\`\n]*\`)`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|js|py)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.split('/').includes('node_modules'));
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** `const NAME = '...'` of a file, for templates such as `${BIN}/initdb`. */
function stringConstants(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of text.matchAll(/\bconst\s+(\w+)\s*=\s*'([^'\n]*)'\s*;/g)) m.set(c[1] ?? '', c[2] ?? '');
  return m;
}

/** The literal's value, or undefined when a template part is not a constant of the file. */
function literalValue(lit: string, consts: Map<string, string>): string | undefined {
  const body = lit.slice(1, -1);
  if (!lit.startsWith('`')) return body;
  let unresolved = false;
  const v = body.replace(/\$\{(\w+)\}/g, (_all, name: string) => consts.get(name) ?? ((unresolved = true), ''));
  return unresolved || v.includes('${') ? undefined : v;
}

/** The names this file calls to spawn a program (P2), with each local wrapper's command parameter. */
function wrappers(text: string): { names: string[]; params: string[] } {
  const names: string[] = [];
  const params: string[] = [];
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'[./]*(?:test\/)?helpers\/run\.js'/g)) {
    for (const part of (m[1] ?? '').split(',')) {
      const [orig, alias] = part.trim().split(/\s+as\s+/);
      if (orig === 'run') names.push(alias ?? orig);
    }
  }
  for (const m of text.matchAll(/\bconst\s+(\w+)\s*=\s*promisify\(\s*execFile\s*\)/g)) names.push(m[1] ?? '');
  for (const m of text.matchAll(/function\s+(\w+)\s*\(\s*(\w+)\s*:\s*string\b/g)) {
    const [, name = '', param = ''] = m;
    if (new RegExp(`${CALL_START}\\b(?:${SPAWNERS.join('|')})\\(\\s*${param}\\b`).test(text)) {
      names.push(name);
      params.push(param);
    }
  }
  return { names, params };
}

function pythonImports(code: string): string[] {
  const mods: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)/gm)) {
    const list = m[1] ? m[1].split(',') : [m[2] ?? ''];
    for (const x of list) mods.push(x.trim().split('.')[0] ?? '');
  }
  return mods.filter((x) => x !== '');
}

function scanTs(rel: string, text: string, out: ScanResult): void {
  const consts = stringConstants(text);
  const w = wrappers(text);
  const add = (how: string, index: number, program: string): void => {
    out.programs.push({ file: rel, line: lineOf(text, index), program, how });
  };
  const callers = [...SPAWNERS.map((s) => ({ name: s, how: 'P1' })), ...w.names.map((n) => ({ name: n, how: 'P2' }))];
  for (const { name, how } of callers) {
    for (const m of text.matchAll(
      new RegExp(`${CALL_START}\\b${name}\\(\\s*(?:${LITERAL}|([^\\s'"\`)][^,)]*))`, 'g'),
    )) {
      const [, lit, expr] = m;
      if (lit !== undefined) {
        const v = literalValue(lit, consts);
        if (v === undefined) out.dynamic.push({ file: rel, line: lineOf(text, m.index), expr: lit });
        else add(how, m.index, name === 'exec' || name === 'execSync' ? (v.trim().split(/\s+/)[0] ?? '') : v);
      } else if (expr !== undefined) {
        const e = expr.trim();
        if (/^programCommand\(\s*'[^']+'/.test(e)) continue; // found by P3 below
        out.dynamic.push({
          file: rel,
          line: lineOf(text, m.index),
          expr: w.params.includes(e) ? `wrapper parameter ${e}` : e,
        });
      }
    }
  }
  // Only where the names are the table's (other files have functions called need()).
  if (/from\s+'(?:[./]*(?:edge\/)?runtime\/|\.\/)programs\.js'/.test(text)) {
    for (const m of text.matchAll(/\b(?:programCommand|need)\(\s*'([^']+)'/g)) add('P3', m.index, m[1] ?? '');
  }
  for (const m of text.matchAll(/\b\w+Path:\s*Type\.String\(\{[^}]*?\bdefault:\s*'([^']+)'/g))
    add('P4', m.index, m[1] ?? '');
  for (const m of text.matchAll(
    /['"`](\/(?:usr\/)?(?:local\/)?s?bin\/[\w.+-]+|\/usr\/lib\/[\w.+/-]+\/bin\/[\w.+-]+)['"`]/g,
  ))
    add('P5', m.index, m[1] ?? '');
  for (const m of text.matchAll(/dist-packages\/(\w+)/g))
    out.python.push({ file: rel, line: lineOf(text, m.index), module: m[1] ?? '' });
  for (const m of text.matchAll(/['"]-c['"]\s*,\s*(?:'([^'\n]*)'|"([^"\n]*)")/g)) {
    for (const mod of pythonImports((m[1] ?? m[2] ?? '').replace(/;\s*/g, '\n')))
      out.python.push({ file: rel, line: lineOf(text, m.index), module: mod });
  }
}

/**
 * Scans `dirs` (relative to `root`; `skip`: files not to read) for programs and Python modules the code starts or
 * imports.
 */
export function scanSource(root: string, dirs: readonly string[], skip: readonly string[] = []): ScanResult {
  const out: ScanResult = { programs: [], dynamic: [], python: [], files: 0 };
  for (const dir of dirs) {
    for (const file of sourceFiles(join(root, dir))) {
      const rel = relative(root, file);
      if (skip.includes(rel)) continue;
      const text = readFileSync(file, 'utf8');
      out.files++;
      if (file.endsWith('.py')) {
        for (const [i, l] of text.split('\n').entries()) {
          for (const mod of pythonImports(l)) out.python.push({ file: rel, line: i + 1, module: mod });
        }
      } else {
        scanTs(rel, text, out);
      }
    }
  }
  return out;
}
