import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Debian packages a project script installs: its `ensure_debian` calls and those of every
 * script and function it reaches, read from the files as they are (test/project/programs.test.ts).
 *
 * A small reading of bash, enough for scripts/: backslash continuations are joined, comments and
 * heredoc bodies dropped. Code is reached when it is the entry's top level, the top level of a
 * script a reached line names (`source .../X.sh`, `bash scripts/X.sh`, `nohup bash ... &`: any
 * `X.sh` of the scripts folder on a line that runs source, ., bash, sh, exec, nohup or setsid, or any
 * `scripts/X.sh`), or the body of a function whose name a reached line mentions (`phase apt
 * ensure_node_modules`). A function defined and never called installs nothing. The arguments of
 * `ensure_debian` end at ; & | ) < > and may be `$VAR`, `${VAR}` or `"${VAR[@]}"` of a literal
 * assignment (`PKGS=(a b)`, `PKGS="a b"`); anything else is reported as a problem, not guessed.
 */

export interface InstallCall {
  file: string;
  line: number;
  packages: string[];
}

export interface ScriptInstalls {
  /** Every script file reached, entry first. */
  files: string[];
  calls: InstallCall[];
  packages: Set<string>;
  /** ensure_debian arguments that could not be read. */
  problems: string[];
}

interface Line {
  file: string;
  line: number;
  text: string;
}

interface ParsedScript {
  top: Line[];
  functions: Map<string, Line[]>;
}

/** Logical lines: continuations joined, comments and heredoc bodies dropped; numbered as in the file. */
function logicalLines(file: string, text: string): Line[] {
  const raw = text.split('\n');
  const out: Line[] = [];
  let heredoc: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const start = i;
    let l = raw[i] ?? '';
    if (heredoc !== undefined) {
      if (l.trim() === heredoc) heredoc = undefined;
      continue;
    }
    while (l.endsWith('\\') && i + 1 < raw.length) l = l.slice(0, -1) + ' ' + (raw[++i] ?? '');
    l = l.replace(/(^|\s)#.*$/, '$1');
    const h = /<<-?\s*['"]?([A-Za-z_]\w*)['"]?/.exec(l);
    if (h) heredoc = h[1];
    if (l.trim() !== '') out.push({ file, line: start + 1, text: l });
  }
  return out;
}

function parse(file: string, text: string): ParsedScript {
  const lines = logicalLines(file, text);
  const top: Line[] = [];
  const functions = new Map<string, Line[]>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as Line;
    const def = /^\s*(?:function\s+)?([\w-]+)\s*\(\)\s*\{(.*)$/.exec(l.text);
    if (!def) {
      top.push(l);
      continue;
    }
    const name = def[1] ?? '';
    const rest = def[2] ?? '';
    if (/\}\s*$/.test(rest)) {
      functions.set(name, [{ ...l, text: rest.replace(/\}\s*$/, '') }]);
      continue;
    }
    const body: Line[] = [{ ...l, text: rest }];
    while (++i < lines.length && !/^\}\s*$/.test((lines[i] as Line).text)) body.push(lines[i] as Line);
    functions.set(name, body);
  }
  return { top, functions };
}

const RUNS_SCRIPT = /(^|[\s;&|(])(source|\.|bash|sh|exec|nohup|setsid)\s/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

function assignments(lines: Line[]): Map<string, string[]> {
  const vars = new Map<string, string[]>();
  for (const l of lines) {
    const m =
      /^\s*(?:local\s+|readonly\s+|export\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_]\w*)=(\([^)]*\)|"[^"$]*"|'[^']*'|[^\s"'$;&|()]+)\s*(?:[;&|#].*)?$/.exec(
        l.text,
      );
    if (m)
      vars.set(
        m[1] ?? '',
        (m[2] ?? '')
          .replace(/^[("']|[)"']$/g, '')
          .trim()
          .split(/\s+/)
          .filter((w) => w !== ''),
      );
  }
  return vars;
}

export function packagesInstalledBy(scriptsDir: string, entry: string): ScriptInstalls {
  const parsed = new Map<string, ParsedScript>();
  const files: string[] = [];
  const reached: Line[] = [];
  const calledFunctions = new Set<string>();
  const load = (name: string): void => {
    if (parsed.has(name)) return;
    const p = parse(name, readFileSync(join(scriptsDir, name), 'utf8'));
    parsed.set(name, p);
    files.push(name);
    reached.push(...p.top);
  };
  load(entry);
  // To a fixed point: a reached line may name a script or call a function defined in a file
  // reached later (lib.sh is sourced before its functions are called).
  for (let seen = -1; seen !== reached.length + calledFunctions.size;) {
    seen = reached.length + calledFunctions.size;
    for (const l of [...reached]) {
      const named = [...l.text.matchAll(/([\w.-]+\.sh)\b/g)].map((m) => m[1] ?? '');
      for (const s of named) {
        const runs = RUNS_SCRIPT.test(l.text) || l.text.includes(`scripts/${s}`);
        if (runs && existsSync(join(scriptsDir, s))) load(s);
      }
      for (const p of parsed.values()) {
        for (const [fn, body] of p.functions) {
          if (calledFunctions.has(fn) || !new RegExp(`(^|[^\\w-])${fn}($|[^\\w-])`).test(l.text)) continue;
          calledFunctions.add(fn);
          reached.push(...body);
        }
      }
    }
  }
  const vars = assignments(reached);
  const calls: InstallCall[] = [];
  const problems: string[] = [];
  for (const l of reached) {
    for (const m of l.text.matchAll(/(?:^|[\s;&|(])ensure_debian(?=\s|$)([^;&|)<>]*)/g)) {
      const packages: string[] = [];
      for (const word of (m[1] ?? '')
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '')) {
        const unquoted = word.replace(/^["']|["']$/g, '');
        const v = /^\$\{?(\w+)(?:\[@\])?\}?$/.exec(unquoted);
        // "$@" in a function's body: the packages are what the reached calls of that function pass.
        const words = unquoted === '$@' ? forwarded(l, parsed, reached) : v ? vars.get(v[1] ?? '') : [unquoted];
        if (words === undefined)
          problems.push(
            `${l.file}:${l.line}: ensure_debian argument ${word} is not a literal assignment of these scripts`,
          );
        for (const w of words ?? []) {
          if (PACKAGE.test(w)) packages.push(w);
          else
            problems.push(
              `${l.file}:${l.line}: ensure_debian argument ${JSON.stringify(w)} is not a Debian package name`,
            );
        }
      }
      calls.push({ file: l.file, line: l.line, packages });
    }
  }
  return { files, calls, packages: new Set(calls.flatMap((c) => c.packages)), problems };
}

/**
 * The literal arguments the reached calls pass to the function whose body holds `line`; undefined outside a function.
 */
function forwarded(line: Line, parsed: Map<string, ParsedScript>, reached: Line[]): string[] | undefined {
  for (const p of parsed.values()) {
    for (const [fn, body] of p.functions) {
      if (!body.includes(line)) continue;
      const args: string[] = [];
      for (const l of reached) {
        if (body.includes(l)) continue;
        for (const m of l.text.matchAll(new RegExp(`(?:^|[\\s;&|(])${fn}(?=\\s|$)([^;&|)<>]*)`, 'g'))) {
          args.push(
            ...(m[1] ?? '')
              .trim()
              .split(/\s+/)
              .filter((w) => w !== ''),
          );
        }
      }
      return args;
    }
  }
  return undefined;
}
