import type { ResponseOf } from './api.js';
import { lang, t } from './i18n.js';

/**
 * The settings form's model, from the configuration schema alone: which node is an object of
 * settings, a list, a map by key or a single value; its label in the page's language; a new item's
 * defaults; the changes between the file's settings and the edited copy; a validation problem in
 * words. No setting is named here: a new one in the schema appears in the form with its labels.
 */
export type SchemaNode = ResponseOf<'GET /api/v1/config/schema'>;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Not edited in this form: the data directory moves the database; components have their own pages. */
export const NOT_HERE = new Set(['/dataDir', '/components']);

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An object with named settings (a section, or an item of a list). */
export const hasProperties = (n: SchemaNode): boolean => n.type === 'object' && n.properties !== undefined;

/** A map whose keys are values too (lessons by weekday): edited as a list of key and value. */
export function mapValueNode(n: SchemaNode): { keyPattern: string | undefined; value: SchemaNode } | undefined {
  if (n.type !== 'object' || n.properties) return undefined;
  const pattern = Object.entries(n.patternProperties ?? {})[0];
  if (pattern) return { keyPattern: pattern[0], value: pattern[1] };
  if (isObject(n.additionalProperties)) return { keyPattern: undefined, value: n.additionalProperties as SchemaNode };
  return undefined;
}

export const itemsNode = (n: SchemaNode): SchemaNode | undefined =>
  n.type === 'array' && n.items && !Array.isArray(n.items) ? n.items : undefined;

/** ISO weekdays (1 = Monday): a key or list of 1..7 is shown with the days' names. */
export const isWeekdayKey = (pattern: string | undefined): boolean => pattern === '^[1-7]$';
export const isWeekdayItem = (n: SchemaNode | undefined): boolean =>
  n?.type === 'integer' && n.minimum === 1 && n.maximum === 7;

export function weekdayName(d: number): string {
  return t(`weekday.${d}` as 'weekday.1');
}

/** The node's title in the page's language; the key when the schema gives none. */
export function titleOf(n: SchemaNode, key: string): string {
  const l = lang.get();
  return n['x-i18n']?.[l === 'en' ? 'en' : 'zh-CN'].title ?? key;
}

/** Chinese help from the schema, the English description in English. */
export function helpOf(n: SchemaNode): string | undefined {
  return lang.get() === 'en' ? n.description : (n['x-i18n']?.['zh-CN'].help ?? n.description);
}

/** A value of a closed set, in words. */
export function enumWord(n: SchemaNode, value: unknown): string {
  const words = n['x-i18n']?.[lang.get() === 'en' ? 'en' : 'zh-CN'].enum;
  return words?.[String(value)] ?? String(value);
}

/** What a new item of a list starts as: each setting's default, an empty text where there is none. */
export function defaultFor(n: SchemaNode): Json {
  if (n.default !== undefined) return structuredClone(n.default as Json);
  if (hasProperties(n)) {
    const out: JsonObject = {};
    for (const [k, c] of Object.entries(n.properties ?? {})) {
      const required = n.required?.includes(k) ?? false;
      if (c.default !== undefined || required) out[k] = defaultFor(c);
    }
    return out;
  }
  switch (n.type) {
    case 'array':
      return [];
    case 'object':
      return {};
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return n.minimum ?? 0;
    default:
      return n.enum?.[0] !== undefined ? (n.enum[0] as Json) : '';
  }
}

export function getIn(v: Json | undefined, path: string[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, seg) ? cur[seg] : undefined;
    else return undefined;
  }
  return cur;
}

/** A copy of `v` with `value` at `path` (undefined removes the key: an optional setting left empty). */
export function setIn(v: Json | undefined, path: string[], value: Json | undefined): Json {
  const [head, ...rest] = path;
  if (head === undefined) return value ?? null;
  if (Array.isArray(v)) {
    const copy = [...v];
    copy[Number(head)] = setIn(v[Number(head)], rest, value);
    return copy;
  }
  const copy: JsonObject = isObject(v) ? { ...v } : {};
  if (rest.length === 0 && value === undefined) delete copy[head];
  else copy[head] = setIn(copy[head], rest, value);
  return copy;
}

/**
 * The changes PUT /api/v1/config takes: one per setting that differs, a list or a map whole (the
 * appliance replaces those whole), an object of settings setting by setting so that the comments
 * of the file's other lines stay.
 */
export function changesBetween(
  schema: SchemaNode,
  before: Json | undefined,
  after: Json | undefined,
  path = '',
): { path: string; value: Json }[] {
  if (hasProperties(schema)) {
    return Object.entries(schema.properties ?? {}).flatMap(([k, c]) => {
      const p = `${path}/${k}`;
      if (NOT_HERE.has(p)) return [];
      return changesBetween(c, getIn(before, [k]), getIn(after, [k]), p);
    });
  }
  if (after === undefined || JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path, value: after }];
}

/** The schema node at a settings path (`/timetable/lessons/2/start`). */
export function nodeAt(schema: SchemaNode, path: string): SchemaNode | undefined {
  let n: SchemaNode | undefined = schema;
  for (const seg of path.split('/').slice(1)) {
    if (!n) return undefined;
    const items = itemsNode(n);
    const map = mapValueNode(n);
    n = n.properties?.[seg] ?? (items && /^\d+$/.test(seg) ? items : undefined) ?? map?.value;
  }
  return n;
}

const TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
export const isTimeNode = (n: SchemaNode): boolean => n.pattern === TIME;
export const isDateNode = (n: SchemaNode): boolean => n.pattern === DATE;

/**
 * A problem the appliance found, said in words from the setting's own schema: its range, its
 * format, its choices. The appliance's own sentence is the last resort (a rule between settings).
 */
export function problemInWords(schema: SchemaNode, issue: { path: string; expected: string; value?: unknown }): string {
  const n = nodeAt(schema, issue.path);
  if (!n) return issue.expected;
  if (issue.value === undefined && /required/.test(issue.expected)) return t('settings.problem.required');
  if (n.enum) return t('settings.problem.choice');
  if ((n.type === 'integer' || n.type === 'number') && (n.minimum !== undefined || n.maximum !== undefined)) {
    const kind = n.type === 'integer' ? t('settings.problem.integer') : t('settings.problem.number');
    if (n.minimum !== undefined && n.maximum !== undefined)
      return t('settings.problem.range', { min: n.minimum, max: n.maximum, kind });
    if (n.minimum !== undefined) return t('settings.problem.atLeast', { min: n.minimum, kind });
    return t('settings.problem.atMost', { max: n.maximum ?? 0, kind });
  }
  if (n.type === 'integer' || n.type === 'number') return t('settings.problem.integer');
  if (isTimeNode(n)) return t('settings.problem.time');
  if (isDateNode(n)) return t('settings.problem.date');
  if (n.pattern) return t('settings.problem.format');
  if (n.type === 'string' && /fewer|more|characters/.test(issue.expected)) return t('settings.problem.length');
  return issue.expected;
}
