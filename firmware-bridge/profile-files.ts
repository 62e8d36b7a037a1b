import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../edge/errors.js';

/**
 * Device models as data (sensor profiles, relay boards): every `*.json` of a folder, in name order,
 * each checked by `parse`, by id. A file that is not JSON is a ConfigError naming it.
 */
export function loadProfileFiles<T extends { id: string }>(
  dir: string,
  parse: (doc: unknown, file: string) => T,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = join(dir, f);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(file, [{ path: '', expected: `valid JSON (${(err as Error).message})` }]);
    }
    const p = parse(doc, file);
    out.set(p.id, p);
  }
  return out;
}

/**
 * The loader of one kind of profile: the shipped folder read once and kept; another folder (a test's)
 * read every time.
 */
export function profileLoader<T extends { id: string }>(
  shipped: string,
  parse: (doc: unknown, file: string) => T,
): (dir?: string) => Map<string, T> {
  let cache: Map<string, T> | undefined;
  return (dir = shipped) => {
    if (dir !== shipped) return loadProfileFiles(dir, parse);
    cache ??= loadProfileFiles(dir, parse);
    return cache;
  };
}
