import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import {
  defaultFor,
  enumWord,
  hasProperties,
  helpOf,
  isDateNode,
  isObject,
  isTimeNode,
  isWeekdayItem,
  isWeekdayKey,
  itemsNode,
  mapValueNode,
  titleOf,
  weekdayName,
  type Json,
  type SchemaNode,
} from '../../settings-model.js';

export interface EditorProps {
  node: SchemaNode;
  /** JSON pointer of the setting (`/timetable/lessons/2/start`): the key of its problem, its test id. */
  path: string;
  keyName: string;
  value: Json | undefined;
  onChange: (v: Json | undefined) => void;
  problems: Record<string, string>;
  /** The paths edited since the last save (a dot beside their label). */
  edited: (path: string) => boolean;
  required?: boolean;
}

/** The technical name beside the label (`http.tls.port`, `timetable.lessons[2].start`): what the docs and logs say. */
const techName = (path: string): string =>
  path
    .slice(1)
    .split('/')
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');

function Label({ node, path, keyName, edited }: Pick<EditorProps, 'node' | 'path' | 'keyName' | 'edited'>) {
  return (
    <span class="field-label">
      {titleOf(node, keyName)}
      {edited(path) ? ' •' : ''} <code class="tech">{techName(path)}</code>
    </span>
  );
}

/** Help text with `setting.names` and `commands` set as code, as the schema writes them. */
export function Help({ text, block }: { text: string | undefined; block?: boolean }) {
  if (!text) return null;
  // The English descriptions name settings without backticks: set those names as code too.
  const names =
    /((?:\/[\w.-]+){2,}|\b[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9_]+)+\b|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[a-z0-9]+_[a-z0-9_]+\b)/;
  const parts = text
    .split('`')
    .flatMap((x, i) =>
      i % 2 === 1 ? [<code>{x}</code>] : x.split(names).map((y, j) => (j % 2 === 1 ? <code>{y}</code> : y)),
    );
  return block ? <p class="field-hint">{parts}</p> : <span class="field-hint">{parts}</span>;
}

function Problem({ path, problems }: Pick<EditorProps, 'path' | 'problems'>) {
  const p = problems[path];
  return p ? (
    <span class="field-error" role="alert" data-testid={`problem-${path}`}>
      {p}
    </span>
  ) : null;
}

/** One setting of any shape: a group of settings, a list, a map by key, or a single value. */
export function SettingEditor(p: EditorProps) {
  if (hasProperties(p.node)) return <GroupEditor {...p} />;
  const map = mapValueNode(p.node);
  if (map) return <MapEditor {...p} keyPattern={map.keyPattern} valueNode={map.value} />;
  const items = itemsNode(p.node);
  if (items && hasProperties(items)) return <ListOfGroups {...p} items={items} />;
  if (items && isWeekdayItem(items)) return <WeekdayChoice {...p} />;
  if (items) return <ListOfValues {...p} items={items} />;
  return <ValueEditor {...p} />;
}

function GroupEditor(p: EditorProps) {
  const value = isObject(p.value) ? p.value : {};
  const help = helpOf(p.node);
  return (
    <fieldset class="settings-group" data-testid={`setting-${p.path}`}>
      <legend>
        <Label {...p} />
      </legend>
      <Help text={help} block />
      <Problem {...p} />
      {Object.entries(p.node.properties ?? {}).map(([k, child]) => (
        <SettingEditor
          key={k}
          node={child}
          path={`${p.path}/${k}`}
          keyName={k}
          value={value[k]}
          required={p.node.required?.includes(k) ?? false}
          onChange={(v) => {
            const next = { ...value };
            if (v === undefined) delete next[k];
            else next[k] = v;
            p.onChange(next);
          }}
          problems={p.problems}
          edited={p.edited}
        />
      ))}
    </fieldset>
  );
}

function ListOfGroups(p: EditorProps & { items: SchemaNode }) {
  const list = Array.isArray(p.value) ? p.value : [];
  const help = helpOf(p.node);
  const set = (next: Json[]) => p.onChange(next);
  return (
    <div class="settings-list" data-testid={`setting-${p.path}`}>
      <Label {...p} />
      <Help text={help} block />
      <Problem {...p} />
      {list.length === 0 && <p class="hint">{t('settings.list.empty')}</p>}
      {list.map((item, i) => (
        <div class="settings-item" key={i} data-testid={`setting-${p.path}/${i}`}>
          <div class="settings-item-head">
            <span class="settings-item-no">{i + 1}</span>
            <button
              type="button"
              class="btn"
              disabled={i === 0}
              data-testid={`up-${p.path}/${i}`}
              onClick={() => {
                const next = [...list];
                const [moved] = next.splice(i, 1);
                if (moved !== undefined) next.splice(i - 1, 0, moved);
                set(next);
              }}
            >
              {t('settings.list.up')}
            </button>
            <button
              type="button"
              class="btn danger"
              data-testid={`remove-${p.path}/${i}`}
              onClick={() => set(list.filter((_, j) => j !== i))}
            >
              {t('settings.list.remove')}
            </button>
          </div>
          <div class="settings-item-fields">
            {Object.entries(p.items.properties ?? {}).map(([k, child]) => (
              <SettingEditor
                key={k}
                node={child}
                path={`${p.path}/${i}/${k}`}
                keyName={k}
                value={isObject(item) ? item[k] : undefined}
                required={p.items.required?.includes(k) ?? false}
                onChange={(v) => {
                  const base = isObject(item) ? { ...item } : {};
                  if (v === undefined) delete base[k];
                  else base[k] = v;
                  set(list.map((x, j) => (j === i ? base : x)));
                }}
                problems={p.problems}
                edited={p.edited}
              />
            ))}
          </div>
        </div>
      ))}
      <button
        type="button"
        class="btn"
        data-testid={`add-${p.path}`}
        onClick={() => set([...list, defaultFor(p.items)])}
      >
        {t('settings.list.add', { what: titleOf(p.node, p.keyName) })}
      </button>
    </div>
  );
}

function ListOfValues(p: EditorProps & { items: SchemaNode }) {
  const list = Array.isArray(p.value) ? p.value : [];
  const help = helpOf(p.node);
  return (
    <div class="settings-list" data-testid={`setting-${p.path}`}>
      <Label {...p} />
      <Help text={help} block />
      <Problem {...p} />
      <div class="settings-values">
        {list.map((v, i) => (
          <span class="settings-value" key={i}>
            <ValueEditor
              {...p}
              node={p.items}
              path={`${p.path}/${i}`}
              keyName={String(i + 1)}
              value={v}
              bare
              onChange={(x) => p.onChange(list.map((y, j) => (j === i ? (x ?? '') : y)))}
            />
            <button
              type="button"
              class="btn danger"
              data-testid={`remove-${p.path}/${i}`}
              aria-label={t('settings.list.remove')}
              onClick={() => p.onChange(list.filter((_, j) => j !== i))}
            >
              ✕
            </button>
          </span>
        ))}
      </div>
      <button
        type="button"
        class="btn"
        data-testid={`add-${p.path}`}
        onClick={() => p.onChange([...list, defaultFor(p.items)])}
      >
        {t('settings.list.add', { what: titleOf(p.node, p.keyName) })}
      </button>
    </div>
  );
}

/** Days of the week as seven toggles (schoolDays): 周一 … 周日, not numbers. */
function WeekdayChoice(p: EditorProps) {
  const list = Array.isArray(p.value) ? p.value.filter((x): x is number => typeof x === 'number') : [];
  const help = helpOf(p.node);
  return (
    <div class="settings-list" data-testid={`setting-${p.path}`}>
      <Label {...p} />
      <Help text={help} block />
      <div class="segmented" role="group">
        {[1, 2, 3, 4, 5, 6, 7].map((d) => {
          const on = list.includes(d);
          return (
            <button
              type="button"
              class={on ? 'seg-btn active' : 'seg-btn'}
              aria-pressed={on}
              data-testid={`day-${p.path}/${d}`}
              onClick={() => p.onChange(on ? list.filter((x) => x !== d) : [...list, d].sort((a, b) => a - b))}
            >
              {weekdayName(d)}
            </button>
          );
        })}
      </div>
      <Problem {...p} />
    </div>
  );
}

/** A map by key (lessons by weekday): each key with its value, a key added from those not used yet. */
function MapEditor(p: EditorProps & { keyPattern: string | undefined; valueNode: SchemaNode }) {
  const map = isObject(p.value) ? p.value : {};
  const weekdays = isWeekdayKey(p.keyPattern);
  const keyWord = (k: string) => (weekdays ? weekdayName(Number(k)) : k);
  const unused = weekdays ? ['1', '2', '3', '4', '5', '6', '7'].filter((k) => !(k in map)) : [];
  const [newKey, setNewKey] = useState('');
  const chosen = weekdays ? (unused.includes(newKey) ? newKey : (unused[0] ?? '')) : newKey.trim();
  const help = helpOf(p.node);
  return (
    <div class="settings-list" data-testid={`setting-${p.path}`}>
      <Label {...p} />
      <Help text={help} block />
      <Problem {...p} />
      {Object.keys(map)
        .sort()
        .map((k) => (
          <div class="settings-item" key={k} data-testid={`setting-${p.path}/${k}`}>
            <div class="settings-item-head">
              <span class="settings-item-no">{keyWord(k)}</span>
              <button
                type="button"
                class="btn danger"
                data-testid={`remove-${p.path}/${k}`}
                onClick={() => {
                  const next = { ...map };
                  delete next[k];
                  p.onChange(next);
                }}
              >
                {t('settings.list.remove')}
              </button>
            </div>
            <SettingEditor
              {...p}
              node={p.valueNode}
              path={`${p.path}/${k}`}
              keyName={keyWord(k)}
              value={map[k]}
              onChange={(v) => p.onChange({ ...map, [k]: v ?? defaultFor(p.valueNode) })}
            />
          </div>
        ))}
      <div class="settings-add-key">
        {weekdays ? (
          <select value={chosen} data-testid={`key-${p.path}`} onChange={(e) => setNewKey(e.currentTarget.value)}>
            {unused.map((k) => (
              <option value={k}>{keyWord(k)}</option>
            ))}
          </select>
        ) : (
          <input value={newKey} data-testid={`key-${p.path}`} onInput={(e) => setNewKey(e.currentTarget.value)} />
        )}
        <button
          type="button"
          class="btn"
          data-testid={`add-${p.path}`}
          disabled={chosen === '' || chosen in map}
          onClick={() => {
            p.onChange({ ...map, [chosen]: defaultFor(p.valueNode) });
            setNewKey('');
          }}
        >
          {t('settings.list.add', { what: titleOf(p.node, p.keyName) })}
        </button>
      </div>
    </div>
  );
}

/** A single value: a choice, a switch, a number, a time, a date or text. */
function ValueEditor(p: EditorProps & { bare?: boolean }) {
  const n = p.node;
  const v = p.value;
  const optional = !p.required && n.default === undefined;
  const control = (() => {
    if (n.enum) {
      return (
        <select name={p.path} value={String(v ?? '')} onChange={(e) => p.onChange(e.currentTarget.value)}>
          {optional && <option value="">{t('settings.unset')}</option>}
          {n.enum.map((o) => (
            <option value={String(o)}>{enumWord(n, o)}</option>
          ))}
        </select>
      );
    }
    if (n.type === 'boolean')
      return (
        <input
          type="checkbox"
          name={p.path}
          checked={v === true}
          onChange={(e) => p.onChange(e.currentTarget.checked)}
        />
      );
    if (n.type === 'integer' || n.type === 'number') {
      return (
        <input
          type="number"
          name={p.path}
          value={typeof v === 'number' || typeof v === 'string' ? String(v) : ''}
          min={n.minimum}
          max={n.maximum}
          step={n.type === 'integer' ? 1 : 'any'}
          onInput={(e) => {
            const raw = e.currentTarget.value;
            p.onChange(raw === '' ? (optional ? undefined : raw) : Number(raw));
          }}
        />
      );
    }
    if (n.type === 'string' || n.type === undefined) {
      if (v !== undefined && typeof v === 'object') {
        // A shape the form does not know: the technician edits it as JSON, checked by the appliance on save.
        return <JsonText {...p} />;
      }
      const placeholder = isTimeNode(n) ? '08:00' : isDateNode(n) ? '2026-09-01' : undefined;
      return (
        <input
          type="text"
          name={p.path}
          value={typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)}
          placeholder={placeholder}
          inputMode={isTimeNode(n) || isDateNode(n) ? 'numeric' : undefined}
          onInput={(e) => {
            const raw = e.currentTarget.value;
            p.onChange(raw === '' && optional ? undefined : raw);
          }}
        />
      );
    }
    return <JsonText {...p} />;
  })();
  if (p.bare)
    return (
      <span class={p.problems[p.path] ? 'field invalid' : 'field'} data-testid={`setting-${p.path}`}>
        {control}
        <Problem {...p} />
      </span>
    );
  const help = helpOf(n);
  return (
    <label class={p.problems[p.path] ? 'field invalid' : 'field'} data-testid={`setting-${p.path}`}>
      <Label {...p} />
      {control}
      <Help text={help} />
      <Problem {...p} />
    </label>
  );
}

function JsonText(p: EditorProps) {
  const [text, setText] = useState(JSON.stringify(p.value ?? null, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <textarea
      name={p.path}
      rows={4}
      class={bad ? 'invalid' : ''}
      value={text}
      onInput={(e) => {
        const raw = e.currentTarget.value;
        setText(raw);
        try {
          p.onChange(JSON.parse(raw) as Json);
          setBad(false);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}
