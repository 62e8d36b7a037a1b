import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, errorMessage, type ValidationIssue } from '../errors.js';

/** Overrides from flags or the environment, applied over the file before validation. */
export interface ConfigOverrides {
  dataDir?: string;
  httpPort?: number | string;
  mqttPort?: number | string;
  /** http.tls.port and mqtt.tls.port (the LAN's TLS listeners). */
  httpsPort?: number | string;
  mqttsPort?: number | string;
}

export const ENV = {
  dataDir: 'CLASSEDGE_DATA_DIR',
  httpPort: 'CLASSEDGE_HTTP_PORT',
  mqttPort: 'CLASSEDGE_MQTT_PORT',
  httpsPort: 'CLASSEDGE_HTTPS_PORT',
  mqttsPort: 'CLASSEDGE_MQTTS_PORT',
  config: 'CLASSEDGE_CONFIG',
} as const;

const ajv = new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, verbose: true });
const validate = ajv.compile<Config>(ConfigSchema);

export function envOverrides(env: NodeJS.ProcessEnv = process.env): ConfigOverrides {
  const o: ConfigOverrides = {};
  if (env[ENV.dataDir]) o.dataDir = env[ENV.dataDir];
  if (env[ENV.httpPort]) o.httpPort = env[ENV.httpPort];
  if (env[ENV.mqttPort]) o.mqttPort = env[ENV.mqttPort];
  if (env[ENV.httpsPort]) o.httpsPort = env[ENV.httpsPort];
  if (env[ENV.mqttsPort]) o.mqttsPort = env[ENV.mqttsPort];
  return o;
}

/**
 * Parse and validate a configuration. Every problem is collected and thrown together as one
 * ConfigError; nothing is half-applied.
 */
export function parseConfig(
  text: string,
  source: string,
  overrides: ConfigOverrides = {},
  overlay?: Record<string, unknown>,
): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      listed(
        doc.errors.map((e) => ({
          path: '',
          expected: `valid YAML (${e.message.split('\n')[0] ?? e.code})`,
          line: e.linePos?.[0]?.line,
        })),
      ),
    );
  }
  let raw: unknown;
  try {
    // An alias before its anchor (`*a`) or aliases past the expansion limit throw here, not in doc.errors.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError(source, [{ path: '', expected: `valid YAML (${errorMessage(err).split('\n')[0]})` }]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, listed([{ path: '', expected: 'a mapping of settings', value: raw }]));
  }
  const data = mergeOverlay(overlay ?? {}, raw as Record<string, unknown>);
  const issues: ValidationIssue[] = [];
  applyOverrides(data, overrides, issues);
  if (!validate(data)) {
    for (const e of validate.errors ?? []) issues.push(toIssue(e, data, doc, lines));
  }
  if (issues.length > 0) throw new ConfigError(source, listed(dedupe(issues)));
  checkUniqueComponentNames(data as Config, source);
  checkDistinctPorts(data as Config, source);
  return data as Config;
}

export function loadConfig(
  file: string | undefined,
  overrides: ConfigOverrides = {},
  overlay?: Record<string, unknown>,
): Config {
  if (file === undefined) return parseConfig('', '(defaults)', overrides, overlay);
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [
      { path: '', expected: `a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
  return parseConfig(text, path, overrides, overlay);
}

/** The file wins over the overlay, except that component lists are joined (demo adds its simulators). */
function mergeOverlay(overlay: Record<string, unknown>, file: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...overlay, ...file };
  if (Array.isArray(overlay.components) && Array.isArray(file.components))
    merged.components = [...(file.components as unknown[]), ...(overlay.components as unknown[])];
  return merged;
}

function applyOverrides(data: Record<string, unknown>, o: ConfigOverrides, issues: ValidationIssue[]): void {
  if (o.dataDir !== undefined) data.dataDir = o.dataDir;
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const port = (section: 'http' | 'mqtt', tls: boolean, v: number | string | undefined, name: string): void => {
    if (v === undefined) return;
    const n = typeof v === 'number' ? v : /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) {
      issues.push({
        path: `/${section}${tls ? '/tls' : ''}/port`,
        expected: `an integer port number from ${name}`,
        value: v,
      });
      return;
    }
    const cur = obj(data[section]);
    data[section] = tls ? { ...cur, tls: { ...obj(cur.tls), port: n } } : { ...cur, port: n };
  };
  port('http', false, o.httpPort, `${ENV.httpPort} or --http-port`);
  port('mqtt', false, o.mqttPort, `${ENV.mqttPort} or --mqtt-port`);
  port('http', true, o.httpsPort, ENV.httpsPort);
  port('mqtt', true, o.mqttsPort, ENV.mqttsPort);
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const seg of pointerSegments(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function pointerSegments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const segs: (string | number)[] = pointerSegments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  // Walk up until a node exists: a missing key is reported at its parent's line.
  for (let n = segs.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function toIssue(e: ErrorObject, data: unknown, doc: Document, lines: LineCounter): ValidationIssue {
  let path = e.instancePath;
  let expected = (e.message ?? 'a valid value').replace(/^must (be )?/, '');
  let value: unknown = valueAt(data, path);
  switch (e.keyword) {
    case 'required': {
      path = `${path}/${(e.params as { missingProperty: string }).missingProperty}`;
      expected = 'a value (required)';
      value = undefined;
      break;
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      path = `${path}/${extra}`;
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
      expected = `no unknown setting (known here: ${known.join(', ')})`;
      value = valueAt(data, path);
      break;
    }
    case 'enum':
      expected = `one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'discriminator': {
      const kinds = ((e.parentSchema as { oneOf?: { properties?: { type?: { const?: string } } }[] }).oneOf ?? [])
        .map((s) => s.properties?.type?.const)
        .filter((t): t is string => typeof t === 'string');
      path = `${path}/type`;
      value = valueAt(data, path);
      expected = `a component type, one of: ${kinds.join(', ')}`;
      break;
    }
    case 'pattern':
      expected = `text matching ${(e.params as { pattern: string }).pattern}`;
      break;
    default:
      break;
  }
  const issue: ValidationIssue = { path, expected, value };
  const line = lineOf(doc, lines, path);
  if (line !== undefined) issue.line = line;
  return issue;
}

/**
 * Problems listed in one ConfigError, and the longest value quoted. A file of thousands of
 * repeated keys or a megabyte-long value would otherwise make an error as large as the file.
 */
export const MAX_LISTED_ISSUES = 100;
const MAX_QUOTED = 200;

function listed(issues: ValidationIssue[]): ValidationIssue[] {
  const out = issues.slice(0, MAX_LISTED_ISSUES).map((i) => {
    const quoted = i.value === undefined ? '' : (JSON.stringify(i.value) ?? '');
    return quoted.length > MAX_QUOTED
      ? { ...i, value: `${quoted.slice(0, MAX_QUOTED)}… (${quoted.length} characters)` }
      : i;
  });
  if (issues.length > MAX_LISTED_ISSUES)
    out.push({ path: '', expected: `no further problems; ${issues.length - MAX_LISTED_ISSUES} more not listed` });
  return out;
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}|${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkUniqueComponentNames(config: Config, source: string): void {
  const seen = new Map<string, number>();
  const issues: ValidationIssue[] = [];
  config.components.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined)
      issues.push({
        path: `/components/${i}/name`,
        expected: `a name not used by /components/${first}`,
        value: c.name,
      });
    else seen.set(c.name, i);
  });
  if (issues.length > 0) throw new ConfigError(source, listed(issues));
}

/**
 * The listeners' ports must differ (0, a free port chosen at start, excepted): a TLS port equal to
 * a plain one would fail only at start, with a bare EADDRINUSE.
 */
function checkDistinctPorts(config: Config, source: string): void {
  const ports: [string, number][] = [
    ['/http/port', config.http.port],
    ['/mqtt/port', config.mqtt.port],
  ];
  if (config.http.tls.enabled) ports.push(['/http/tls/port', config.http.tls.port]);
  if (config.mqtt.tls.enabled) ports.push(['/mqtt/tls/port', config.mqtt.tls.port]);
  const issues: ValidationIssue[] = [];
  ports.forEach(([path, port], i) => {
    const first = ports.findIndex(([, p]) => p === port);
    if (port !== 0 && first < i)
      issues.push({ path, expected: `a port not used by ${ports[first]?.[0] ?? ''}`, value: port });
  });
  if (issues.length > 0) throw new ConfigError(source, issues);
}
