import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

/**
 * The project's import graph as the running program sees it: an edge for every import or re-export
 * that loads the other module when this one loads. Type-only imports (`import type`, `import { type
 * A }` with only type specifiers, `export type ... from`) are erased by the compiler and load nothing,
 * so they are not edges; dynamic `import()` loads later, on demand, and is not an edge either.
 */
export function valueImports(file: string, source: string): string[] {
  const sf = ts.createSourceFile(
    file,
    source,
    ts.ScriptTarget.Latest,
    false,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const out: string[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      const typeOnly =
        c !== undefined &&
        (c.isTypeOnly ||
          (c.name === undefined &&
            c.namedBindings !== undefined &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) spec = st.moduleSpecifier;
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      const typeOnly =
        st.isTypeOnly ||
        (st.exportClause !== undefined &&
          ts.isNamedExports(st.exportClause) &&
          st.exportClause.elements.length > 0 &&
          st.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) spec = st.moduleSpecifier;
    }
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) {
      out.push(
        posix
          .normalize(posix.join(posix.dirname(file), spec.text))
          .replace(/\.js$/, '.ts')
          .replace(/\.jsx$/, '.tsx'),
      );
    }
  }
  return out;
}

/** Every .ts/.tsx file under `dirs` (relative to `root`), as posix paths relative to `root`. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      if (name === 'node_modules' || name === 'dist') continue;
      const p = posix.join(rel, name);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(d);
  return out.sort();
}

/**
 * The cycles of a graph: every strongly connected component with more than one module (or a module
 * importing itself), each as its modules in a stable order (Tarjan's algorithm, iterative).
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work.at(-1)!;
      const edges = (graph.get(top.node) ?? []).filter((e) => graph.has(e));
      if (top.i < edges.length) {
        const to = edges[top.i++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const comp: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          comp.push(n);
        } while (n !== top.node);
        if (comp.length > 1 || edges.includes(top.node)) cycles.push(comp.sort());
      }
    }
  }
  return cycles;
}

export function readGraph(root: string, dirs: readonly string[]): Map<string, string[]> {
  const files = sourceFiles(root, dirs);
  const known = new Set(files);
  // The kiosk imports its .tsx modules as '.js', like every other module.
  const resolve = (p: string): string => (known.has(p) || !known.has(`${p}x`) ? p : `${p}x`);
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f, valueImports(f, readFileSync(join(root, f), 'utf8')).map(resolve));
  return graph;
}
