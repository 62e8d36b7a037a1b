import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type ResponseOf } from '../../api.js';
import { t, formatDateTime } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { Tech, actionLabel, actorText, errorText, resultText, type KnownUser, TechText } from '../../admin-words.js';

type AuditRecord = ResponseOf<'GET /api/v1/audit'>[number];

/** The audit log, newest first, a page at a time: who did what in words, each with its code beside. */
export function AuditScreen() {
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [end, setEnd] = useState(false);
  // The accounts, to name a user by role and display name (教师 王老师) rather than by username.
  const users = useApiData('GET /api/v1/users');
  const known = useMemo(() => new Map<string, KnownUser>((users.data ?? []).map((u) => [u.username, u])), [users.data]);
  const load = (beforeId?: number) =>
    api('GET /api/v1/audit', { query: { limit: 50, beforeId } }).then(
      (page) => {
        setRows((r) => (beforeId ? [...r, ...page] : page));
        setEnd(page.length < 50);
      },
      (err: unknown) => {
        reportError(err);
        setError(errorText(err));
      },
    );
  useEffect(() => void load(), []);
  return (
    <div class="page">
      <h2>{t('admin.audit')}</h2>
      {error && <p class="error">{error}</p>}
      <table class="table audit-table" data-testid="audit-table">
        <thead>
          <tr>
            <th>{t('audit.time')}</th>
            <th>{t('audit.actor')}</th>
            <th>{t('audit.action')}</th>
            <th>{t('audit.target')}</th>
            <th>{t('audit.result')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr class={`result-${r.result}`} data-action={r.action}>
              <td class="nowrap">{formatDateTime(r.ts)}</td>
              <td data-testid="audit-actor">
                <TechText text={actorText(r.actor, known)} /> <Tech code={r.actor} />
              </td>
              <td data-testid="audit-action">
                {actionLabel(r.action) ?? t('audit.unknownAction')} <Tech code={r.action} />
              </td>
              <td>
                <code>{r.target}</code>
              </td>
              <td class="nowrap">{resultText(r.result)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!end && rows.length > 0 && (
        <button type="button" class="btn" onClick={() => void load(rows.at(-1)?.id)}>
          {t('audit.more')}
        </button>
      )}
    </div>
  );
}
