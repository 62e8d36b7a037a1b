import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig, type ConfigOverrides } from './load.js';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, ValidationError } from '../errors.js';

/** Where the running appliance's configuration came from, so that edits are checked as a restart would. */
export interface ConfigSource {
  /** The YAML file edits are written to (created on the first edit when absent). */
  file: string;
  overrides: ConfigOverrides;
  overlay?: Record<string, unknown>;
}

export interface ConfigChange {
  /** JSON pointer of a leaf setting, e.g. `/mqtt/port`. */
  path: string;
  value: unknown;
}

function segments(pointer: string): string[] {
  return pointer.split('/').slice(1);
}

/** Settings as the list of leaf changes editConfig takes: `{a: {b: 1}}` -> `[{path: '/a/b', value: 1}]`. */
export function toChanges(settings: Record<string, unknown>, prefix = ''): ConfigChange[] {
  return Object.entries(settings).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? toChanges(v as Record<string, unknown>, `${prefix}/${k}`)
      : [{ path: `${prefix}/${k}`, value: v }],
  );
}

/** The schema node of a settings path, or undefined when the path names no leaf setting. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  type?: string;
}

function leafSchema(pointer: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = ConfigSchema as unknown as SchemaNode;
  for (const seg of segments(pointer)) {
    node = node.properties?.[seg];
    if (!node) return undefined;
  }
  // A list (a timetable's holidays, the environment rules) or a map by key (lessons by weekday)
  // is replaced whole; an object of named settings is changed setting by setting.
  return node.type !== 'object' || node.properties === undefined ? node : undefined;
}

/**
 * Apply setting changes to the configuration file, keeping its comments and layout, after checking
 * the result exactly as `classedge start` would. Nothing is written unless the whole result is valid.
 */
export function editConfig(source: ConfigSource, changes: ConfigChange[], opts: { dryRun: boolean }): Config {
  const bad = changes.filter((c) => !leafSchema(c.path) || c.path === '/dataDir' || c.path === '/components');
  if (bad.length > 0) {
    throw new ValidationError(
      'settings',
      bad.map((c) => ({ path: c.path, expected: 'a setting that can be changed here', value: c.value })),
    );
  }
  const text = existsSync(source.file) ? readFileSync(source.file, 'utf8') : '';
  const doc = parseDocument(text);
  for (const c of changes) doc.setIn(segments(c.path), c.value);
  const next = doc.toString();
  let config: Config;
  try {
    config = parseConfig(next, source.file, source.overrides, source.overlay);
  } catch (err) {
    if (err instanceof ConfigError) throw new ValidationError('settings', err.issues);
    throw err;
  }
  if (!opts.dryRun) {
    mkdirSync(dirname(source.file), { recursive: true });
    const tmp = `${source.file}.tmp-${process.pid}`;
    writeFileSync(tmp, next, { mode: 0o640 });
    renameSync(tmp, source.file);
  }
  return config;
}
