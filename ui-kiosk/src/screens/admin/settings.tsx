import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { t, lang } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { useObservable } from '../../store.js';
import { ConfirmButton } from '../../components/confirm.js';
import {
  NOT_HERE,
  changesBetween,
  getIn,
  hasProperties,
  helpOf,
  isObject,
  problemInWords,
  titleOf,
  type Json,
  type JsonObject,
  type SchemaNode,
} from '../../settings-model.js';
import { Help, SettingEditor } from './settings-editors.js';

/** Top-level settings that are single values (shutdownTimeoutMs) share one section. */
const OTHER = '_other';

function sectionsOf(schema: SchemaNode): { key: string; node: SchemaNode | undefined }[] {
  const props = Object.entries(schema.properties ?? {}).filter(([k]) => !NOT_HERE.has(`/${k}`));
  const groups = props.filter(([, n]) => hasProperties(n)).map(([key, node]) => ({ key, node }));
  return props.some(([, n]) => !hasProperties(n)) ? [...groups, { key: OTHER, node: undefined }] : groups;
}

type SaveState =
  | { kind: 'idle' }
  | { kind: 'nothing' }
  | { kind: 'invalid'; n: number }
  | { kind: 'saved'; file: string }
  | { kind: 'error'; message: string }
  | { kind: 'restarting' }
  | { kind: 'restarted' };

/**
 * Settings as a technician expects them: a section at a time, each setting with its Chinese (or
 * English) title and help from the schema and its technical name beside it; lists, maps and
 * groups edited in place; problems in words beside the setting; the result beside 保存; and
 * 重启服务 once saved settings wait for a restart. The appliance checks the whole file as a start would.
 */
export function SettingsScreen() {
  useObservable(lang);
  const schema = useApiData('GET /api/v1/config/schema');
  // The file's settings, not those in effect: after 保存 (and after a reload) the form shows what was saved.
  const config = useApiData('GET /api/v1/config/saved');
  const [draft, setDraft] = useState<JsonObject | undefined>(undefined);
  const [section, setSection] = useState<string | undefined>(undefined);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [state, setState] = useState<SaveState>({ kind: 'idle' });
  const [pendingRestart, setPendingRestart] = useState(false);

  const original = config.data?.settings as unknown as Json | undefined;
  useEffect(() => {
    if (config.data?.restartRequired) setPendingRestart(true);
  }, [config.data]);
  useEffect(() => {
    if (isObject(original)) setDraft(structuredClone(original));
  }, [config.data]);

  if (!schema.data || !config.data || !draft)
    return (
      <div class="loading" aria-busy="true">
        {schema.error ?? config.error}
      </div>
    );
  const root = schema.data;
  const sections = sectionsOf(root);
  const current = sections.find((s) => s.key === section) ?? sections[0];
  const changes = changesBetween(root, original, draft);
  const changedPaths = changes.map((c) => c.path);
  const edited = (path: string) => changedPaths.some((c) => c === path || path.startsWith(`${c}/`));
  const inSection = (key: string, path: string) =>
    key === OTHER ? !path.slice(1).includes('/') : path === `/${key}` || path.startsWith(`/${key}/`);

  const save = async (e: Event) => {
    e.preventDefault();
    if (changes.length === 0) {
      setState({ kind: 'nothing' });
      return;
    }
    try {
      const r = await api('PUT /api/v1/config', { body: { changes } });
      setProblems({});
      setState({ kind: 'saved', file: r.file });
      setPendingRestart(r.restartRequired);
      config.reload();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) {
        const found = Object.fromEntries(err.issues.map((i) => [i.path, problemInWords(root, i)]));
        setProblems(found);
        setState({ kind: 'invalid', n: err.issues.length });
        // Show the first section with a problem: the technician sees the mark without searching.
        const first = err.issues[0]?.path ?? '';
        const where = sections.find((s) => inSection(s.key, first));
        if (where) setSection(where.key);
      } else setState({ kind: 'error', message: reportError(err) });
    }
  };

  const restart = async () => {
    setState({ kind: 'restarting' });
    try {
      const before = await api('GET /api/v1/status');
      const asked = Date.now();
      await api('POST /api/v1/system/restart');
      // The appliance answers again once the new settings are in effect: its uptime starts anew.
      const deadline = Date.now() + 120_000;
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        try {
          const now = await api('GET /api/v1/status');
          // The old appliance's uptime would be `before` plus the time since; a new one's is well below.
          if (now.uptimeS + 2 < before.uptimeS + (Date.now() - asked) / 1000) break;
        } catch {
          // Restarting: not answering for a moment is expected.
        }
        if (Date.now() > deadline) throw new Error(t('settings.restartSlow'));
      }
      setPendingRestart(false);
      setState({ kind: 'restarted' });
      config.reload();
    } catch (err) {
      setState({ kind: 'error', message: reportError(err) });
    }
  };

  const note = (() => {
    switch (state.kind) {
      case 'nothing':
        return { cls: 'ok', text: t('settings.nothing') };
      case 'invalid':
        return { cls: 'error', text: t('settings.invalid', { n: state.n }) };
      case 'saved':
        return { cls: 'ok', text: t('settings.saved', { file: state.file }) };
      case 'error':
        return { cls: 'error', text: t('common.error', { message: state.message }) };
      case 'restarting':
        return { cls: 'ok', text: t('settings.restarting') };
      case 'restarted':
        return { cls: 'ok', text: t('settings.restarted') };
      default:
        return changes.length > 0 ? { cls: 'hint', text: t('settings.unsaved', { n: changes.length }) } : undefined;
    }
  })();

  const sectionTitle = (s: { key: string; node: SchemaNode | undefined }) =>
    s.node ? titleOf(s.node, s.key) : t('settings.other');

  return (
    <form class="page settings" data-testid="settings" noValidate onSubmit={(e) => void save(e)}>
      <h2>{t('admin.settings')}</h2>
      <div class="settings-layout">
        <nav class="settings-nav" aria-label={t('admin.settings')}>
          {sections.map((s) => {
            const bad = Object.keys(problems).filter((p) => inSection(s.key, p)).length;
            const dirty = changedPaths.some((p) => inSection(s.key, p));
            return (
              <button
                type="button"
                class={s === current ? 'nav active' : 'nav'}
                data-testid={`section-${s.key}`}
                aria-current={s === current ? 'page' : undefined}
                onClick={() => setSection(s.key)}
              >
                {sectionTitle(s)}
                {dirty ? ' •' : ''}
                {bad > 0 && <span class="badge stale"> {bad}</span>}
              </button>
            );
          })}
        </nav>
        <div class="settings-section" data-testid={`settings-section-${current?.key ?? ''}`}>
          {current?.node ? (
            <>
              <h3>{sectionTitle(current)}</h3>
              <Help text={helpOf(current.node)} block />
              {Object.entries(current.node.properties ?? {}).map(([k, child]) => (
                <SettingEditor
                  key={`${current.key}/${k}`}
                  node={child}
                  path={`/${current.key}/${k}`}
                  keyName={k}
                  value={getIn(draft, [current.key, k])}
                  required={current.node?.required?.includes(k) ?? false}
                  onChange={(v) => {
                    const sec = isObject(draft[current.key]) ? { ...(draft[current.key] as JsonObject) } : {};
                    if (v === undefined) delete sec[k];
                    else sec[k] = v;
                    setDraft({ ...draft, [current.key]: sec });
                    if (state.kind !== 'invalid') setState({ kind: 'idle' });
                  }}
                  problems={problems}
                  edited={edited}
                />
              ))}
            </>
          ) : (
            Object.entries(root.properties ?? {})
              .filter(([k, n]) => !NOT_HERE.has(`/${k}`) && !hasProperties(n))
              .map(([k, child]) => (
                <SettingEditor
                  key={k}
                  node={child}
                  path={`/${k}`}
                  keyName={k}
                  value={draft[k]}
                  onChange={(v) => {
                    const next = { ...draft };
                    if (v === undefined) delete next[k];
                    else next[k] = v;
                    setDraft(next);
                  }}
                  problems={problems}
                  edited={edited}
                />
              ))
          )}
        </div>
      </div>
      <div class="settings-savebar">
        {note && (
          <p class={note.cls} role="status" data-testid="settings-note">
            {note.text}
          </p>
        )}
        <button
          type="button"
          class="btn"
          data-testid="settings-revert"
          disabled={changes.length === 0}
          onClick={() => {
            if (isObject(original)) setDraft(structuredClone(original));
            setProblems({});
            setState({ kind: 'idle' });
          }}
        >
          {t('settings.revert')}
        </button>
        <button type="submit" class="btn primary big" data-testid="settings-save">
          {t('settings.save')}
        </button>
        {pendingRestart && (
          <ConfirmButton
            testid="settings-restart"
            className="btn big"
            label={t('settings.restart')}
            question={t('settings.restartQuestion')}
            confirmLabel={t('settings.restart')}
            onConfirm={() => void restart()}
          />
        )}
      </div>
    </form>
  );
}
