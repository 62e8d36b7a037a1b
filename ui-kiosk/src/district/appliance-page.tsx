import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type ApplianceAnswer } from './api.js';
import { bytes, duration, w, when } from './words.js';

const OUTCOME_WORD = {
  offered: 'outcomeOffered',
  downloading: 'outcomeDownloading',
  installing: 'outcomeInstalling',
  installed: 'outcomeInstalled',
  'rolled-back': 'outcomeRolledBack',
  failed: 'outcomeFailed',
} as const;

/** One appliance: its last status, each stream's position and lag, and its status history. */
export function AppliancePage({ id, back }: { id: string; back: () => void }) {
  const [data, setData] = useState<ApplianceAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    void consoleApi.appliance(id).then(setData, (e: Error) => setError(`${w('loadFailed')}: ${e.message}`));
  }, [id]);
  const now = Date.now();
  const a = data?.appliance;
  return (
    <section>
      <button type="button" class="link" data-testid="back" onClick={back}>
        ← {w('back')}
      </button>
      {error && <p class="error">{error}</p>}
      {a && (
        <>
          <h2>
            {a.school} · {a.classroom || a.id} <span class="muted small">{a.id}</span>
          </h2>
          <dl class="facts">
            <dt>{w('status')}</dt>
            <dd>
              <span class={`pill ${a.online ? 'ok' : 'bad'}`}>{a.online ? w('online') : w('offline')}</span>
            </dd>
            <dt>{w('lastHeartbeat')}</dt>
            <dd>{when(a.lastHeartbeat, now)}</dd>
            <dt>{w('lastSeen')}</dt>
            <dd>{when(a.lastSeen, now)}</dd>
            <dt>{w('version')}</dt>
            <dd>{a.version ?? '—'}</dd>
            <dt>{w('uptime')}</dt>
            <dd>{a.uptimeS === null ? '—' : duration(a.uptimeS)}</dd>
            <dt>{w('diskFree')}</dt>
            <dd>{a.diskFreeBytes === null ? '—' : `${bytes(a.diskFreeBytes)} / ${bytes(a.diskTotalBytes)}`}</dd>
            <dt>{w('flashPerDay')}</dt>
            <dd>{a.flashBytesPerDay === null ? '—' : bytes(a.flashBytesPerDay)}</dd>
            <dt>{w('flashLife')}</dt>
            <dd>{a.flashLifeUsedPercent === null ? '—' : `≤ ${a.flashLifeUsedPercent} %`}</dd>
            <dt>{w('clockSkew')}</dt>
            <dd>{a.clockSkewMs === null ? '—' : `${(a.clockSkewMs / 1000).toFixed(1)} ${w('seconds')}`}</dd>
            <dt>{w('configVersion')}</dt>
            <dd>{a.configVersion ?? '—'}</dd>
          </dl>
          <h3>{w('components')}</h3>
          <ul class="components">
            {a.components.map((c) => (
              <li class={c.state === 'degraded' || c.state === 'failed' ? 'bad-text' : ''}>
                {c.name} ({c.kind}): {c.state}
                {c.detail ? ` — ${c.detail}` : ''}
              </li>
            ))}
          </ul>
          <h3>{w('streams')}</h3>
          <table class="fleet" data-testid="streams">
            <thead>
              <tr>
                <th>{w('stream')}</th>
                <th>{w('committed')}</th>
                <th>{w('backlog')}</th>
                <th>{w('lag')}</th>
                <th>{w('quarantined')}</th>
              </tr>
            </thead>
            <tbody>
              {a.streams.map((s) => (
                <tr data-stream={s.stream}>
                  <td>{s.stream}</td>
                  <td>{s.committedSeq}</td>
                  <td>{s.backlog}</td>
                  <td>{duration(s.lagS)}</td>
                  <td>{s.quarantined}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{w('updates')}</h3>
          {data.updates.length === 0 ? (
            <p class="muted">—</p>
          ) : (
            <table class="fleet" data-testid="updates">
              <thead>
                <tr>
                  <th>{w('rollout')}</th>
                  <th>{w('status')}</th>
                  <th>{w('version')}</th>
                  <th>{w('at')}</th>
                </tr>
              </thead>
              <tbody>
                {data.updates.map((u) => (
                  <tr>
                    <td>#{u.rolloutId}</td>
                    <td class={u.state === 'failed' || u.state === 'rolled-back' ? 'bad-text' : ''}>
                      {w(OUTCOME_WORD[u.state])}
                      {u.detail ? ` — ${u.detail}` : ''}
                    </td>
                    <td>{u.version || '—'}</td>
                    <td>{new Date(u.changedAt).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>{w('history')}</h3>
          <table class="fleet" data-testid="history">
            <thead>
              <tr>
                <th>{w('at')}</th>
                <th>{w('version')}</th>
                <th>{w('components')}</th>
                <th>{w('diskFree')}</th>
                <th>{w('syncLag')}</th>
              </tr>
            </thead>
            <tbody>
              {data.history.map((h) => (
                <tr>
                  <td>{new Date(h.at).toLocaleString()}</td>
                  <td>{h.version}</td>
                  <td class={h.notRunning.length ? 'bad-text' : ''}>{h.notRunning.join('; ') || w('allRunning')}</td>
                  <td>{bytes(h.diskFreeBytes)}</td>
                  <td>{duration(h.lagS)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
