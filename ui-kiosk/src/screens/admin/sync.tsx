import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { t, formatDateTime } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';

/** What reached the district and what waits, per stream; and a button for "now". */
export function SyncScreen() {
  const s = useApiData('GET /api/v1/sync');
  const [note, setNote] = useState<string | undefined>(undefined);
  useEffect(() => {
    const id = window.setInterval(s.reload, 5000);
    return () => clearInterval(id);
  }, [s.reload]);
  const d = s.data;
  return (
    <div class="page" data-testid="sync">
      <h2>{t('admin.sync')}</h2>
      {d && !d.enrolled && <p class="warn">{t('sync.notEnrolled')}</p>}
      {d?.enrolled && (
        <p>
          {t('sync.district', { url: d.district ?? '', from: d.window.from, to: d.window.to })} · {d.state}
          {d.detail ? ` (${d.detail})` : ''}
        </p>
      )}
      {d?.enrolled && (
        <button
          type="button"
          class="btn primary"
          data-testid="sync-now"
          onClick={() =>
            void api('POST /api/v1/sync/now').then(
              () => setNote(t('sync.requested')),
              (e: unknown) => setNote(reportError(e)),
            )
          }
        >
          {t('sync.now')}
        </button>
      )}
      {note && <p class="ok">{note}</p>}
      <table class="table">
        <tbody>
          {d?.streams.map((x) => (
            <tr data-testid={`stream-${x.stream}`}>
              <td>{x.stream}</td>
              <td>{x.confirmedSeq}</td>
              <td>{x.backlog}</td>
              <td class={x.quarantined > 0 ? 'warn' : ''}>{x.quarantined}</td>
              <td>{x.lastSuccessAt ? formatDateTime(x.lastSuccessAt) : '-'}</td>
              <td class={x.lastError ? 'warn' : ''}>{x.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d && d.quarantine.count > 0 && (
        <div data-testid="sync-quarantine">
          <h3>{t('sync.quarantine', { count: d.quarantine.count })}</h3>
          <p>{t('sync.quarantineHelp')}</p>
          <table class="table">
            <tbody>
              {d.quarantine.latest.map((q) => (
                <tr>
                  <td>{q.stream}</td>
                  <td>{q.seq}</td>
                  <td>{formatDateTime(q.quarantinedAt)}</td>
                  <td class="warn">{q.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
