import { useEffect, useState } from 'preact/hooks';
import { lang, t } from '../../i18n.js';
import { Tech, componentKindLabel, counterText } from '../../admin-words.js';
import { useApiData } from '../../hooks.js';
import { TimeChart } from '../../components/chart.js';
import { HISTORY_SERIES } from '../../../../edge/observability/metric-names.js';
import { componentVerdict, systemVerdicts, type Verdict } from '../../../../edge/observability/verdicts.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const RANGE_MS = { '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;

function uptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return t('status.uptimeValue', { d, h, m });
}

function VerdictCell({ v, testId }: { v: Verdict; testId: string }) {
  return (
    <td class={`verdict verdict-${v.level}`} data-testid={testId} data-level={v.level}>
      <span class="verdict-badge">{t(`verdict.${v.level}`)}</span> {v.advice[lang.get()]}
    </td>
  );
}

function History() {
  const [range, setRange] = useState<'24h' | '7d'>('24h');
  const h = useApiData('GET /api/v1/system/history', { query: { range } });
  const l = lang.get();
  const pts = h.data?.points ?? [];
  const series = (f: (p: (typeof pts)[number]) => number | null): [number, number][] =>
    pts.flatMap((p) => {
      const v = f(p);
      return v === null ? [] : [[p.ts, v] as [number, number]];
    });
  const charts: { key: keyof typeof HISTORY_SERIES; points: [number, number][] }[] = [
    { key: 'cpuShare', points: series((p) => p.cpuShare * 100) },
    { key: 'rssBytes', points: series((p) => p.rssBytes / MiB) },
    { key: 'diskFreeBytes', points: series((p) => p.diskFreeBytes / GiB) },
    { key: 'flashBytes', points: series((p) => (p.flashBytesPerHour === null ? null : p.flashBytesPerHour / 1e6)) },
    { key: 'loopLagP99Ms', points: series((p) => p.loopLagP99Ms) },
    { key: 'syncLagS', points: series((p) => (p.syncLagS === null ? null : p.syncLagS / 3600)) },
  ];
  return (
    <section data-testid="history">
      <h3>{t('status.history')}</h3>
      <div class="seg" role="group">
        {(['24h', '7d'] as const).map((r) => (
          <button
            type="button"
            class={`seg-btn${r === range ? ' active' : ''}`}
            data-testid={`history-${r}`}
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {t(`status.range.${r}`)}
          </button>
        ))}
      </div>
      {h.data && pts.length === 0 && <p class="muted">{t('status.noHistory', { s: h.data.intervalS })}</p>}
      <div class="charts" data-range={range} data-testid={`history-charts-${range}`}>
        {charts.map((c) => {
          const s = HISTORY_SERIES[c.key];
          return (
            <div class="card">
              <h4>
                {s.label[l]} ({s.unit[l]})
              </h4>
              <TimeChart
                points={c.points}
                label={s.label[l]}
                unit={s.unit[l]}
                windowMs={RANGE_MS[range]}
                testId={`chart-${c.key}`}
              />
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** How often the status page asks again for the components' states and counters. */
const STATUS_REFRESH_MS = 5000;

/** Versions, disk, uptime, every component with its verdict and counters, and the on-box history charts. */
export function StatusScreen() {
  const status = useApiData('GET /api/v1/status');
  const comps = useApiData('GET /api/v1/components');
  // A technician watches this page while fixing a cable: states and counters follow without a reload.
  const reloadStatus = status.reload;
  const reloadComps = comps.reload;
  useEffect(() => {
    const timer = setInterval(() => {
      reloadStatus();
      reloadComps();
    }, STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadStatus, reloadComps]);
  const latest = useApiData('GET /api/v1/system/history', { query: { range: '24h' } });
  const s = status.data;
  const last = latest.data?.points.at(-1);
  const system =
    s && last
      ? systemVerdicts({
          diskFreeBytes: s.disk.freeBytes,
          diskTotalBytes: s.disk.totalBytes,
          loopLagP99Ms: last.loopLagP99Ms,
          syncLagS: last.syncLagS,
        })
      : [];
  return (
    <div class="page">
      <h2>{t('admin.status')}</h2>
      {s && (
        <dl class="facts" data-testid="status">
          <dt>{t('status.version')}</dt>
          <dd>
            ClassEdge {s.version} · Node {s.node} · <code>{s.applianceId}</code>
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
          <dd>{Math.round(s.rssBytes / MiB)} MiB</dd>
          <dt>{t('status.schema')}</dt>
          <dd>{s.schemaVersion}</dd>
          <dt>{t('status.listeners')}</dt>
          <dd data-testid="listeners">
            {s.tls.listeners.map((x) => `${x.service}${x.tls ? ' TLS' : ''} ${x.host}:${x.port}`).join(' · ')}
          </dd>
          <dt>{t('status.certificate')}</dt>
          <dd data-testid="fingerprint">
            {s.tls.fingerprint256
              ? `${s.tls.fingerprint256} (${s.tls.validTo?.slice(0, 10) ?? ''})`
              : t('status.noTls')}
          </dd>
        </dl>
      )}
      {system.length > 0 && (
        <ul class="alerts" data-testid="system-verdicts">
          {system.map((x) => (
            <li class={`alert verdict-${x.verdict.level}`} data-testid={`system-verdict-${x.key}`}>
              {x.verdict.advice[lang.get()]}
            </li>
          ))}
        </ul>
      )}
      <table class="table status-table" data-testid="components">
        <thead>
          <tr>
            <th>{t('status.col.name')}</th>
            <th>{t('status.col.state')}</th>
            <th>{t('status.col.verdict')}</th>
            <th>{t('status.col.counters')}</th>
          </tr>
        </thead>
        <tbody>
          {comps.data?.map((c) => (
            <tr data-testid={`component-${c.name}`}>
              <td class="name-cell">
                <div translate={false}>{c.name}</div>
                <div class="muted" data-testid={`kind-${c.name}`}>
                  {componentKindLabel(c.kind)} <Tech code={c.kind} />
                </div>
              </td>
              <td class={`state-cell state-${c.state}`} data-testid={`state-${c.name}`}>
                <span>{t(`state.${c.state}`)}</span>
              </td>
              <VerdictCell v={componentVerdict(c)} testId={`verdict-${c.name}`} />
              <td>
                {/* The component's own words, for IT staff: beside the Chinese verdict, set as a technical note. */}
                {c.detail && (
                  <div class="muted">
                    <code>{c.detail}</code>
                  </div>
                )}
                <ul class="counters">
                  {Object.entries(c.counters ?? {}).map(([k, v]) => (
                    <li data-counter={k}>{counterText(k, v)}</li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <History />
    </div>
  );
}
