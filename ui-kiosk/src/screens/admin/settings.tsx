import { useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { t } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';

/** The subset of JSON Schema the configuration schema uses. */
type SchemaNode = ResponseOf<'GET /api/v1/config/schema'>;

interface Leaf {
  path: string;
  key: string;
  node: SchemaNode;
}

/**
 * Settings that are not edited in this form: the data directory moves the database, components have their own pages.
 */
const NOT_HERE = new Set(['/dataDir', '/components']);

function leaves(node: SchemaNode, prefix = ''): { section: string; items: Leaf[] }[] {
  const sections: { section: string; items: Leaf[] }[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}/${key}`;
    if (NOT_HERE.has(path)) continue;
    if (child.type === 'object') {
      sections.push({
        section: key,
        items: Object.entries(child.properties ?? {}).map(([k, n]) => ({ path: `${path}/${k}`, key: k, node: n })),
      });
    } else if (child.type !== 'array') {
      sections.push({ section: key, items: [{ path, key, node: child }] });
    }
  }
  return sections;
}

function valueAt(config: unknown, path: string): unknown {
  return path
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (cur, seg) => (cur && typeof cur === 'object' ? Object.getOwnPropertyDescriptor(cur, seg)?.value : undefined),
      config,
    );
}

/**
 * A form generated from the same configuration schema the appliance validates with. The server
 * checks the whole result as a start would; its messages appear beside the fields they concern.
 */
export function SettingsScreen() {
  const schema = useApiData('GET /api/v1/config/schema');
  const config = useApiData('GET /api/v1/config');
  const [edits, setEdits] = useState<Record<string, unknown>>({});
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | undefined>(undefined);

  if (!schema.data || !config.data)
    return (
      <div class="loading" aria-busy="true">
        {schema.error ?? config.error}
      </div>
    );
  const current = (p: string): unknown => (p in edits ? edits[p] : valueAt(config.data, p));

  const save = async (e: Event) => {
    e.preventDefault();
    const changes = Object.entries(edits).map(([path, value]) => ({ path, value }));
    if (changes.length === 0) {
      setNote(t('settings.nothing'));
      return;
    }
    try {
      const r = await api('PUT /api/v1/config', { body: { changes } });
      setIssues({});
      setEdits({});
      setNote(t('settings.saved', { file: r.file }));
      config.reload();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) {
        setIssues(
          Object.fromEntries(
            err.issues.map((i) => [
              i.path,
              `${i.expected}${i.value !== undefined ? ` (${JSON.stringify(i.value)})` : ''}`,
            ]),
          ),
        );
        setNote(t('settings.invalid', { n: err.issues.length }));
      } else setNote(reportError(err));
    }
  };

  const input = (leaf: Leaf) => {
    const v = current(leaf.path);
    const set = (value: unknown) => setEdits({ ...edits, [leaf.path]: value });
    const n = leaf.node;
    if (n.enum) {
      return (
        <select name={leaf.path} value={String(v)} onChange={(e) => set(e.currentTarget.value)}>
          {n.enum.map((o) => (
            <option value={String(o)}>{String(o)}</option>
          ))}
        </select>
      );
    }
    if (n.type === 'boolean')
      return (
        <input type="checkbox" name={leaf.path} checked={v === true} onChange={(e) => set(e.currentTarget.checked)} />
      );
    if (n.type === 'integer' || n.type === 'number') {
      return (
        <input
          type="number"
          name={leaf.path}
          value={v === undefined ? '' : String(v)}
          min={n.minimum}
          max={n.maximum}
          onInput={(e) => {
            const raw = e.currentTarget.value;
            set(raw === '' ? raw : Number(raw));
          }}
        />
      );
    }
    return (
      <input
        type="text"
        name={leaf.path}
        value={v === undefined ? '' : String(v)}
        onInput={(e) => set(e.currentTarget.value)}
      />
    );
  };

  return (
    <form class="page settings" data-testid="settings" noValidate onSubmit={(e) => void save(e)}>
      <h2>{t('admin.settings')}</h2>
      {note && (
        <p class={Object.keys(issues).length ? 'error' : 'ok'} role="status" data-testid="settings-note">
          {note}
        </p>
      )}
      {leaves(schema.data).map((s) => (
        <fieldset>
          <legend>{s.section}</legend>
          {s.items.map((leaf) => (
            <label class={issues[leaf.path] ? 'field invalid' : 'field'} data-testid={`setting-${leaf.path}`}>
              <span class="field-label">
                {leaf.key}
                {leaf.path in edits ? ' •' : ''}
              </span>
              {input(leaf)}
              <span class="field-hint">{leaf.node.description}</span>
              {issues[leaf.path] && (
                <span class="field-error" role="alert">
                  {issues[leaf.path]}
                </span>
              )}
            </label>
          ))}
        </fieldset>
      ))}
      <button type="submit" class="btn primary big" data-testid="settings-save">
        {t('settings.save')}
      </button>
    </form>
  );
}
