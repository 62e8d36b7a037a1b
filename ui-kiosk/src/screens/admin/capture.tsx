import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { t, formatClock, formatDateTime } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';

/**
 * The diagnostic capture (docs/interaction-analysis.md): switch it on for a few minutes to aim a
 * camera or check a microphone, see what is kept on disk and until when. Everything is audited.
 */
export function CaptureScreen() {
  const s = useApiData('GET /api/v1/analysis/capture');
  const [minutes, setMinutes] = useState(5);
  const [note, setNote] = useState<string | undefined>(undefined);
  useEffect(() => {
    const id = window.setInterval(s.reload, 5000);
    return () => clearInterval(id);
  }, [s.reload]);
  const act = (call: () => Promise<unknown>) =>
    void call().then(
      () => {
        setNote(undefined);
        s.reload();
      },
      (e: unknown) => setNote(reportError(e)),
    );
  const d = s.data;
  return (
    <div class="page" data-testid="capture">
      <h2>{t('admin.capture')}</h2>
      <p>{t('capture.explain')}</p>
      {d?.state.active ? (
        <p class="warn" data-testid="capture-on">
          {t('capture.on', { until: formatClock(d.state.until ?? 0), by: d.state.by ?? '' })}{' '}
          <button
            type="button"
            class="btn"
            data-testid="capture-stop"
            onClick={() => act(() => api('DELETE /api/v1/analysis/capture'))}
          >
            {t('capture.stop')}
          </button>
        </p>
      ) : (
        <p>
          <label>
            {t('capture.minutes')}{' '}
            <input
              type="number"
              min={1}
              max={60}
              value={minutes}
              onInput={(e) => setMinutes(Number(e.currentTarget.value))}
              data-testid="capture-minutes"
            />
          </label>{' '}
          <button
            type="button"
            class="btn primary"
            data-testid="capture-start"
            onClick={() => act(() => api('POST /api/v1/analysis/capture', { body: { minutes } }))}
          >
            {t('capture.start')}
          </button>
        </p>
      )}
      {note && <p class="error">{note}</p>}
      <table class="table">
        <tbody>
          {d?.captures.map((c) => (
            <tr data-testid={`capture-${c.id}`}>
              <td>{c.id}</td>
              <td>{t('capture.files', { files: c.files, kb: Math.round(c.bytes / 1024) })}</td>
              <td>{c.endedAt ? formatDateTime(c.endedAt) : t('capture.running')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
