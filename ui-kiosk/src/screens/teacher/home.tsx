import { useContext, useEffect, useState } from 'preact/hooks';
import { METRICS } from '../../../../edge/metrics.js';
import { api } from '../../api.js';
import { formatTime, lang, t, type MessageKey } from '../../i18n.js';
import { useObservable } from '../../store.js';
import type { LatestValue, LiveClient } from '../../live.js';
import { TimeChart } from '../../components/chart.js';
import { LiveContext } from './live-context.js';
import { AlertList } from '../../components/alerts.js';
import { RoomControl } from '../../components/room-control.js';

const HOUR = 3_600_000;
const CHARTS = [
  { metric: 'co2_ppm', title: 'home.chartCo2' },
  { metric: 'temperature_c', title: 'home.chartTemp' },
] as const satisfies readonly { metric: string; title: MessageKey }[];

function useSeries(metric: string): [number, number][] {
  const live = useContext(LiveContext);
  const [points, setPoints] = useState<[number, number][]>([]);
  useEffect(() => {
    void api('GET /api/v1/readings', { query: { metric, from: Date.now() - HOUR, limit: 5000 } }).then((rows) =>
      setPoints(rows.map((r): [number, number] => [r.ts, r.value]).reverse()),
    );
  }, [metric]);
  useEffect(
    () =>
      live?.frames.subscribe((f) => {
        if (f?.type !== 'reading') return;
        const v = f.data.metrics[metric];
        if (v === undefined) return;
        setPoints((p) => [...p.filter((x) => x[0] >= Date.now() - HOUR), [f.data.ts, v]]);
      }),
    [live, metric],
  );
  return points;
}

function Tile({ v, stale }: { v: LatestValue; stale: boolean }) {
  const spec = METRICS[v.metric];
  const l = useObservable(lang);
  const digits = Math.abs(v.value) >= 100 ? 0 : 1;
  return (
    <div class={stale ? 'tile stale' : 'tile'} data-testid={`tile-${v.metric}`} data-value={v.value}>
      <div class="tile-label">{spec ? spec.label[l] : v.metric}</div>
      <div class="tile-value">
        {v.value.toFixed(digits)}
        <span class="tile-unit">{spec?.unit ?? ''}</span>
      </div>
      <div class="tile-meta">
        {v.deviceId} · {t('home.updated', { time: formatTime(v.ts) })}
      </div>
    </div>
  );
}

/** The room at a glance: current values (big, readable from the back), trends, and what is working. */
export function TeacherHome() {
  const live = useContext(LiveContext);
  return live ? <HomeView live={live} /> : null;
}

function HomeView({ live }: { live: LiveClient }) {
  const state = useObservable(live.state);
  useObservable(lang);
  const co2 = useSeries(CHARTS[0].metric);
  const temp = useSeries(CHARTS[1].metric);
  const order = Object.keys(METRICS);
  const values = [...state.latest.values()].sort(
    (a, b) => order.indexOf(a.metric) - order.indexOf(b.metric) || a.deviceId.localeCompare(b.deviceId),
  );
  const stale = !state.connected;
  const alerts = [...state.alerts.values()];
  return (
    <div class="home">
      <AlertList alerts={alerts} />
      <RoomControl live={live} />
      <section>
        <h2>{t('home.room')}</h2>
        {values.length === 0 ? (
          <p class="hint">{t('home.noReadings')}</p>
        ) : (
          <div class="tiles">
            {values.map((v) => (
              <Tile key={`${v.deviceId}/${v.metric}`} v={v} stale={stale} />
            ))}
          </div>
        )}
      </section>
      <section class="charts">
        <div class="card">
          <h3>{t(CHARTS[0].title)}</h3>
          <TimeChart points={co2} label="CO₂" unit="ppm" windowMs={HOUR} testId="chart-co2" />
        </div>
        <div class="card">
          <h3>{t(CHARTS[1].title)}</h3>
          <TimeChart points={temp} label="°C" unit="°C" windowMs={HOUR} testId="chart-temp" />
        </div>
      </section>
      <section>
        <h3>{t('home.components')}</h3>
        <ul class="components" data-testid="components">
          {[...state.components.values()].map((c) => (
            <li class={`comp ${c.state}`} data-testid={`component-${c.name}`} data-state={c.state}>
              <span class="comp-dot" />
              {c.name} · {t(`state.${c.state}`)}
              {c.detail ? ` (${c.detail})` : ''}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
