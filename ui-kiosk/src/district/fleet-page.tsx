import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type FleetAnswer, type FleetItem } from './api.js';
import { bytes, duration, w, when } from './words.js';

/** How often the fleet page reads the fleet again while it is open. */
const REFRESH_MS = 10_000;

function StatusCell({ a }: { a: FleetItem }) {
  return (
    <span class={`pill ${a.online ? 'ok' : 'bad'}`} data-status={a.online ? 'online' : 'offline'}>
      {a.online ? w('online') : w('offline')}
    </span>
  );
}

function Components({ a }: { a: FleetItem }) {
  if (a.version === null) return <span class="muted">{w('noHeartbeat')}</span>;
  const bad = a.components.filter((c) => c.state === 'degraded' || c.state === 'failed');
  if (bad.length === 0) return <span class="ok-text">{w('allRunning')}</span>;
  return (
    <span class="bad-text" title={bad.map((c) => `${c.name}: ${c.state} ${c.detail ?? ''}`).join('\n')}>
      {w('notRunning')}: {bad.map((c) => c.name).join(', ')}
    </span>
  );
}

/** District IT's and school IT's view of every appliance in scope: filters, a search, one row each. */
export function FleetPage({ open }: { open: (id: string) => void }) {
  const [school, setSchool] = useState('');
  const [status, setStatus] = useState('');
  const [search, setSearch] = useState('');
  const [data, setData] = useState<FleetAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    const load = (): void =>
      void consoleApi.fleet({ school, status, search }).then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
        },
        (e: Error) => live && setError(`${w('loadFailed')}: ${e.message}`),
      );
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [school, status, search]);

  return (
    <section>
      <div class="filters">
        <select aria-label={w('school')} value={school} onChange={(e) => setSchool(e.currentTarget.value)}>
          <option value="">{w('allSchools')}</option>
          {data?.schools.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <select aria-label={w('status')} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">{w('anyStatus')}</option>
          <option value="online">{w('online')}</option>
          <option value="offline">{w('offline')}</option>
          <option value="problem">{w('problem')}</option>
        </select>
        <input
          type="search"
          placeholder={w('search')}
          aria-label={w('search')}
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        {data && (
          <span class="counts" data-testid="counts">
            {w('total')} {data.counts.total} · {w('online')} {data.counts.online} · {w('offline')} {data.counts.offline}{' '}
            · {w('problem')} {data.counts.problem} · {data.matching} {w('matching')}
          </span>
        )}
      </div>
      {error && <p class="error">{error}</p>}
      {data && data.appliances.length === 0 && <p class="muted">{w('empty')}</p>}
      {data && data.appliances.length > 0 && (
        <table class="fleet">
          <thead>
            <tr>
              <th>{w('school')}</th>
              <th>{w('classroom')}</th>
              <th>{w('status')}</th>
              <th>{w('lastHeartbeat')}</th>
              <th>{w('version')}</th>
              <th>{w('components')}</th>
              <th>{w('diskFree')}</th>
              <th>{w('flashPerDay')}</th>
              <th>{w('syncLag')}</th>
              <th>{w('quarantined')}</th>
            </tr>
          </thead>
          <tbody>
            {data.appliances.map((a) => (
              <tr data-appliance={a.id} onClick={() => open(a.id)}>
                <td>{a.school}</td>
                <td>
                  <a
                    href={`#/appliance/${encodeURIComponent(a.id)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      open(a.id);
                    }}
                  >
                    {a.classroom || a.id}
                  </a>
                  <div class="muted small">{a.id}</div>
                </td>
                <td>
                  <StatusCell a={a} />
                </td>
                <td>{when(a.lastHeartbeat, data.now)}</td>
                <td>{a.version ?? '—'}</td>
                <td>
                  <Components a={a} />
                </td>
                <td>{a.diskFreeBytes === null ? '—' : `${bytes(a.diskFreeBytes)} / ${bytes(a.diskTotalBytes)}`}</td>
                <td>{a.flashBytesPerDay === null ? '—' : bytes(a.flashBytesPerDay)}</td>
                <td data-testid="lag">{duration(a.lagS)}</td>
                <td>{a.quarantined || w('none')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
