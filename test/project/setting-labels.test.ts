import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { ConfigSchema } from '../../edge/config/schema.js';
import { SettingLabelSchema, type SettingLabel } from '../../edge/config/labels.js';

/**
 * The admin console's settings form takes every title, help text and value word from the
 * configuration schema's `x-i18n` annotations (edge/config/labels.ts), so that no config key
 * reaches a screen without its Chinese label. Every node the form shows must carry one: every
 * property, recursively, of sections, of list items and of union members; the data directory and
 * the components are not edited there and are skipped.
 */

interface Node {
  type?: string;
  description?: string;
  enum?: unknown[];
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node | Node[];
  anyOf?: Node[];
  oneOf?: Node[];
  allOf?: Node[];
  'x-i18n'?: SettingLabel;
}

const NOT_IN_THE_FORM = new Set(['dataDir', 'components']);
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const validLabel = new Ajv({ strict: false, allErrors: true }).compile(SettingLabelSchema);

/** Every labelled node below `node`: [path, key, node]. A list's items and a union's members are walked through. */
function settings(node: Node, prefix = ''): [string, string, Node][] {
  const out: [string, string, Node][] = [];
  const children: [string, string, Node][] = [
    ...Object.entries(node.properties ?? {}).map(([k, n]): [string, string, Node] => [
      `${prefix}${prefix && '.'}${k}`,
      k,
      n,
    ]),
    ...Object.values(node.patternProperties ?? {}).map((n): [string, string, Node] => [`${prefix}.*`, '*', n]),
  ];
  for (const [path, key, child] of children) {
    if (prefix === '' && NOT_IN_THE_FORM.has(key)) continue;
    out.push([path, key, child], ...settings(child, path));
  }
  for (const item of [node.items ?? []].flat()) out.push(...settings(item, `${prefix}[]`));
  for (const member of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) {
    out.push(...settings(member, prefix));
  }
  return out;
}

/** What is missing or wrong in the labels of `schema`, one line per problem, each naming its setting. */
function labelProblems(schema: Node): string[] {
  const problems: string[] = [];
  for (const [path, key, node] of settings(schema)) {
    const l = node['x-i18n'];
    if (!l) {
      problems.push(`${path}: no x-i18n label`);
      continue;
    }
    if (!validLabel(l)) {
      problems.push(`${path}: x-i18n is not a SettingLabel (${validLabel.errors?.[0]?.message ?? ''})`);
      continue;
    }
    const zh = l['zh-CN'];
    if (!CJK.test(zh.title)) problems.push(`${path}: the zh-CN title "${zh.title}" has no Chinese in it`);
    if (zh.title.trim().toLowerCase() === key.toLowerCase()) problems.push(`${path}: the zh-CN title is the key`);
    if (CJK.test(l.en.title)) problems.push(`${path}: the en title "${l.en.title}" has Chinese in it`);
    const leaf = node.type !== 'object';
    if (zh.help === undefined) {
      if (leaf) problems.push(`${path}: no zh-CN help`);
      else if (node.description) problems.push(`${path}: an English description but no zh-CN help`);
    } else if (!CJK.test(zh.help)) problems.push(`${path}: the zh-CN help has no Chinese in it`);
    const values = (node.enum ?? []).filter((v): v is string => typeof v === 'string');
    for (const v of values) {
      if (!zh.enum?.[v]) problems.push(`${path}: the value ${v} has no zh-CN label`);
      if (!l.en.enum?.[v]) problems.push(`${path}: the value ${v} has no en label`);
    }
    for (const lang of ['zh-CN', 'en'] as const) {
      for (const v of Object.keys(l[lang].enum ?? {})) {
        if (!values.includes(v)) problems.push(`${path}: a ${lang} label for ${v}, which is not an allowed value`);
      }
    }
  }
  return problems;
}

const schema = ConfigSchema as unknown as Node;

test(
  'every setting the form shows has a Chinese title and help and an English title, and every value a word in both',
  { timeout: 30_000 },
  () => {
    const all = settings(schema);
    // The walk reaches the sections, the leaves, list items' fields and the per-weekday lessons.
    const paths = new Set(all.map(([p]) => p));
    for (const p of [
      'http',
      'http.maxBodyBytes',
      'http.tls.certFile',
      'environment.rules[].window',
      'room.switches[].role',
      'room.scenes.leave.curtains',
      'timetable.byWeekday.*[].start',
    ]) {
      assert.ok(paths.has(p), `the walk reaches ${p}`);
    }
    assert.ok(
      !paths.has('dataDir') && ![...paths].some((p) => p.startsWith('components')),
      'dataDir and components are skipped',
    );
    assert.ok(all.length > 200, `${all.length} settings walked`);
    assert.deepEqual(labelProblems(schema), []);
  },
);

test(
  'the label check finds a missing label, English where Chinese belongs, a bare key and an unlabelled value',
  { timeout: 30_000 },
  () => {
    const copy = structuredClone(schema);
    const http = copy.properties!.http!;
    delete http.properties!.maxBodyBytes!['x-i18n'];
    http.properties!.host!['x-i18n'] = { 'zh-CN': { title: 'host', help: 'Address.' }, en: { title: '监听地址' } };
    delete http.properties!.port!['x-i18n']!['zh-CN'].help;
    delete copy.properties!.log!.properties!.level!['x-i18n']!.en.enum!.trace;
    delete copy.properties!.mqtt!['x-i18n'];
    const rule = (copy.properties!.environment!.properties!.rules!.items as Node).properties!.window!;
    delete rule['x-i18n']!['zh-CN'].enum!['8h'];
    assert.deepEqual(labelProblems(copy), [
      'http.host: the zh-CN title "host" has no Chinese in it',
      'http.host: the zh-CN title is the key',
      'http.host: the en title "监听地址" has Chinese in it',
      'http.host: the zh-CN help has no Chinese in it',
      'http.port: no zh-CN help',
      'http.maxBodyBytes: no x-i18n label',
      'mqtt: no x-i18n label',
      'log.level: the value trace has no en label',
      'environment.rules[].window: the value 8h has no zh-CN label',
    ]);
  },
);
