import { t } from '../../i18n.js';
import { useApiData } from '../../hooks.js';

const GiB = 1024 ** 3;

function uptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${h}h ${m}m`;
}

/** Versions, disk, uptime, broker clients and every component with its counters. */
export function StatusScreen() {
  const status = useApiData('GET /api/v1/status');
  const comps = useApiData('GET /api/v1/components');
  const s = status.data;
  return (
    <div class="page">
      <h2>{t('admin.status')}</h2>
      {s && (
        <dl class="facts" data-testid="status">
          <dt>{t('status.version')}</dt>
          <dd>
            ClassEdge {s.version} · Node {s.node} · {s.applianceId}
          </dd>
          <dt>{t('status.uptime')}</dt>
          <dd>{uptime(s.uptimeS)}</dd>
          <dt>{t('status.disk')}</dt>
          <dd>
            {(s.disk.freeBytes / GiB).toFixed(1)} / {(s.disk.totalBytes / GiB).toFixed(1)} GiB
          </dd>
          <dt>{t('status.clients')}</dt>
          <dd data-testid="broker-clients">{s.brokerClients}</dd>
          <dt>{t('status.memory')}</dt>
          <dd>{Math.round(s.rssBytes / 1048576)} MiB</dd>
          <dt>{t('status.schema')}</dt>
          <dd>{s.schemaVersion}</dd>
          <dt>{t('status.listeners')}</dt>
          <dd data-testid="listeners">
            {s.tls.listeners.map((l) => `${l.service}${l.tls ? ' TLS' : ''} ${l.host}:${l.port}`).join(' · ')}
          </dd>
          <dt>{t('status.certificate')}</dt>
          <dd data-testid="fingerprint">
            {s.tls.fingerprint256
              ? `${s.tls.fingerprint256} (${s.tls.validTo?.slice(0, 10) ?? ''})`
              : t('status.noTls')}
          </dd>
        </dl>
      )}
      <table class="table">
        <tbody>
          {comps.data?.map((c) => (
            <tr>
              <td>{c.name}</td>
              <td>{c.kind}</td>
              <td class={`state-${c.state}`}>{t(`state.${c.state}`)}</td>
              <td>{c.detail ?? ''}</td>
              <td>
                {Object.entries(c.counters ?? {})
                  .map(([k, v]) => `${k} ${v}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
