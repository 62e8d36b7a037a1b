import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { t, formatDateTime } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { Tech, errorText } from '../../admin-words.js';

const STREAMS = [
  'erasures',
  'health-alerts',
  'env-alerts',
  'health-checks',
  'absences',
  'lessons',
  'readings',
  'screen-time',
] as const;
const STATES = ['stopped', 'starting', 'running', 'degraded', 'failed', 'stopping'] as const;

/** A stream in words, its name beside. */
function StreamName({ stream }: { stream: string }) {
  const known = STREAMS.find((s) => s === stream);
  return (
    <>
      {t(known ? `sync.stream.${known}` : 'sync.stream.other')} <Tech code={stream} />
    </>
  );
}

function stateText(state: string): string {
  const known = STATES.find((s) => s === state);
  return known ? t(`state.${known}`) : state;
}

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
      {d && !d.enrolled && (
        <p class="warn">
          {t('sync.notEnrolled')} <code>classedge enrol</code>
        </p>
      )}
      {d?.enrolled && (
        <p>
          {t('sync.district', { url: d.district ?? '', from: d.window.from, to: d.window.to })} · {stateText(d.state)}
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
              (e: unknown) => {
                reportError(e);
                setNote(errorText(e));
              },
            )
          }
        >
          {t('sync.now')}
        </button>
      )}
      {note && <p class="ok">{note}</p>}
      <table class="table">
        <thead>
          <tr>
            <th>{t('sync.col.stream')}</th>
            <th>{t('sync.col.confirmed')}</th>
            <th>{t('sync.col.backlog')}</th>
            <th>{t('sync.col.quarantined')}</th>
            <th>{t('sync.col.lastSuccess')}</th>
            <th>{t('sync.col.lastError')}</th>
          </tr>
        </thead>
        <tbody>
          {d?.streams.map((x) => (
            <tr data-testid={`stream-${x.stream}`}>
              <td>
                <StreamName stream={x.stream} />
              </td>
              <td>{x.confirmedSeq}</td>
              <td>{x.backlog}</td>
              <td class={x.quarantined > 0 ? 'warn' : ''}>{x.quarantined}</td>
              <td>{x.lastSuccessAt ? formatDateTime(x.lastSuccessAt) : '-'}</td>
              <td class={x.lastError ? 'warn' : ''}>{x.lastError ? <code>{x.lastError}</code> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d && d.quarantine.count > 0 && (
        <div data-testid="sync-quarantine">
          <h3>{t('sync.quarantine', { count: d.quarantine.count })}</h3>
          <p>{t('sync.quarantineHelp')}</p>
          <table class="table">
            <thead>
              <tr>
                <th>{t('sync.col.stream')}</th>
                <th>{t('sync.col.seq')}</th>
                <th>{t('sync.col.at')}</th>
                <th>{t('sync.col.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {d.quarantine.latest.map((q) => (
                <tr>
                  <td>
                    <StreamName stream={q.stream} />
                  </td>
                  <td>{q.seq}</td>
                  <td>{formatDateTime(q.quarantinedAt)}</td>
                  <td class="warn">
                    <code>{q.reason}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
