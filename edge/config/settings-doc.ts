import { fileURLToPath } from 'node:url';
import { ConfigSchema } from './schema.js';
import type { SettingLabel } from './labels.js';
import { componentKinds } from '../runtime/component-kinds.js';

interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, Node>;
  const?: unknown;
  required?: string[];
  'x-i18n'?: SettingLabel;
}

/** The table's rows; with `named`, a 名称 column (the setting's Chinese title) after the setting. */
function rows(node: Node, prefix: string, out: string[], named: boolean): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child.type === 'object' && child.properties) {
      rows(child, path, out, named);
      continue;
    }
    if (child.type === 'array') continue;
    const allowed = [
      child.enum ? `one of ${child.enum.map((v) => `\`${String(v)}\``).join(', ')}` : '',
      child.minimum !== undefined || child.maximum !== undefined
        ? `${child.minimum ?? ''}..${child.maximum ?? ''}`
        : '',
      child.pattern ? `\`${child.pattern.replace(/\|/g, '\\|')}\`` : '',
      child.const !== undefined ? `\`${String(child.const)}\`` : '',
    ]
      .filter(Boolean)
      .join(' ');
    // An optional setting without a default is simply absent (e.g. a certificate file nobody gave).
    const def =
      child.default !== undefined
        ? `\`${JSON.stringify(child.default)}\``
        : (node.required ?? []).includes(key)
          ? '(required)'
          : '(not set)';
    const desc = (child.description ?? '').replace(/\|/g, '\\|');
    const name = named ? ` ${(child['x-i18n']?.['zh-CN'].title ?? '').replace(/\|/g, '\\|')} |` : '';
    out.push(`| \`${path}\` |${name} ${child.type ?? (child.enum ? 'string' : '')} | ${def} | ${allowed} | ${desc} |`);
  }
}

/** docs/settings.md, generated from the schema so it cannot drift from it. */
export function settingsReference(): string {
  const out = [
    '# Settings reference',
    '',
    '<!-- Generated from edge/config/schema.ts by `npm run docs:settings`. Do not edit by hand; a test checks it. -->',
    '',
    'One YAML file (default `/etc/classedge/config.yaml`, or `--config FILE`, or `CLASSEDGE_CONFIG`). Every setting is optional;',
    'the default is used when it is absent. `classedge config validate FILE` lists every problem at once.',
    'Settings take effect when the appliance starts; the admin console saves them to the file and says so.',
    'The data directory and ports can also be set by `--data-dir`, `--http-port`, `--mqtt-port` or by',
    '`CLASSEDGE_DATA_DIR`, `CLASSEDGE_HTTP_PORT`, `CLASSEDGE_MQTT_PORT` (flags beat the environment, which beats the file).',
    "名称 is the setting's Chinese title, kept with it in the schema: its `x-i18n` annotation (edge/config/labels.ts)",
    'also holds the Chinese help and the English title, for the admin console.',
    '',
    '| setting | 名称 | type | default | allowed | meaning |',
    '|---|---|---|---|---|---|',
  ];
  rows(ConfigSchema as unknown as Node, '', out, true);
  out.push('', '## Components', '', 'Each entry of `components:` selects its kind with `type`.', '');
  for (const kind of componentKinds()) {
    out.push(`### \`${kind.type}\``, '', '| setting | type | default | allowed | meaning |', '|---|---|---|---|---|');
    rows(kind.schema as unknown as Node, '', out, false);
    out.push('');
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(settingsReference());
