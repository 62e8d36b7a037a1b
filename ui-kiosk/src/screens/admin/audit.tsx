import { useEffect, useState } from 'preact/hooks';
import { api, type ResponseOf } from '../../api.js';
import { t, formatDateTime } from '../../i18n.js';
import { reportError } from '../../hooks.js';

type AuditRecord = ResponseOf<'GET /api/v1/audit'>[number];

/** The audit log, newest first, a page at a time. */
export function AuditScreen() {
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [end, setEnd] = useState(false);
  const load = (beforeId?: number) =>
    api('GET /api/v1/audit', { query: { limit: 50, beforeId } }).then(
      (page) => {
        setRows((r) => (beforeId ? [...r, ...page] : page));
        setEnd(page.length < 50);
      },
      (err: unknown) => setError(reportError(err)),
    );
  useEffect(() => void load(), []);
  return (
    <div class="page">
      <h2>{t('admin.audit')}</h2>
      {error && <p class="error">{t('common.error', { message: error })}</p>}
      <table class="table" data-testid="audit-table">
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
            <tr class={`result-${r.result}`}>
              <td>{formatDateTime(r.ts)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>{r.target}</td>
              <td>{r.result}</td>
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
