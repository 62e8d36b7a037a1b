import { useContext, useEffect, useState } from 'preact/hooks';
import { METRICS } from '../../../../edge/metrics.js';
import { api } from '../../api.js';
import { useApiData } from '../../hooks.js';
import { formatTime, lang, t, type MessageKey } from '../../i18n.js';
import { useObservable } from '../../store.js';
import type { LatestValue, LiveClient } from '../../live.js';
import { TimeChart } from '../../components/chart.js';
import { LiveContext } from './live-context.js';
import { AlertList, alertStatus } from '../../components/alerts.js';
import { roomValueOf } from '../../../../edge/environment/room-value.js';
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

const digits = (v: number): number => (Math.abs(v) >= 100 ? 0 : 1);

/**
 * One tile per quantity: the room's value (the same on 教室环境 and for the rules, room-value.ts),
 * coloured by the active alerts; a tap lists the sensors behind it.
 */
function Tile({
  metric,
  sensors,
  status,
  stale,
}: {
  metric: string;
  sensors: LatestValue[];
  status: 'ok' | 'warn' | 'alert';
  stale: boolean;
}) {
  const spec = METRICS[metric];
  const l = useObservable(lang);
  const [open, setOpen] = useState(false);
  const newest = sensors.reduce((a, b) => (b.ts > a.ts ? b : a));
  // Stale (the appliance unreachable): the last value known, marked, rather than nothing.
  const room = roomValueOf(metric, sensors, stale ? newest.ts : Date.now()) ?? newest.value;
  const shown = Number(room.toFixed(digits(room)));
  return (
    <button
      type="button"
      class={stale ? 'tile stale' : `tile status-${status}`}
      data-testid={`tile-${metric}`}
      data-value={shown}
      data-status={status}
      data-sensors={sensors.length}
      onClick={() => setOpen(!open)}
    >
      <div class="tile-label">
        {spec ? spec.label[l] : metric}
        {status !== 'ok' ? ` · ${t(`status.${status}`)}` : ''}
      </div>
      <div class="tile-value">
        {shown.toFixed(digits(room))}
        <span class="tile-unit">{spec?.unit ?? ''}</span>
      </div>
      <div class="tile-meta">
        {sensors.length > 1 ? `${t('home.sensors', { n: sensors.length })} · ` : ''}
        {t('home.updated', { time: formatTime(newest.ts) })}
      </div>
      {open && (
        <ul class="tile-sensors" data-testid={`tile-${metric}-sensors`}>
          {sensors.map((s) => (
            <li>
              <span translate={false}>{s.deviceId}</span>: {s.value.toFixed(digits(s.value))} {spec?.unit ?? ''}
            </li>
          ))}
        </ul>
      )}
    </button>
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
  const byMetric = new Map<string, LatestValue[]>();
  for (const v of state.latest.values()) byMetric.set(v.metric, [...(byMetric.get(v.metric) ?? []), v]);
  const metrics = [...byMetric.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const stale = !state.connected;
  const alerts = [...state.alerts.values()];
  const statusOf = (metric: string): 'ok' | 'warn' | 'alert' => alertStatus(alerts, metric);
  return (
    <div class="home">
      <AlertList alerts={alerts} />
      <RoomControl live={live} />
      <section>
        <h2>{t('home.room')}</h2>
        {metrics.length === 0 ? (
          <p class="hint">{t('home.noReadings')}</p>
        ) : (
          <div class="tiles">
            {metrics.map((m) => (
              <Tile key={m} metric={m} sensors={byMetric.get(m) ?? []} status={statusOf(m)} stale={stale} />
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
      <ComponentsSummary components={[...state.components.values()]} />
    </div>
  );
}

/**
 * 设备与服务 for the teacher: all well, or how many need IT and whom to call. The components'
 * names, kinds and details are for IT staff (系统状态 in the admin console), not for a lesson.
 */
function ComponentsSummary({ components }: { components: { name: string; state: string }[] }) {
  const info = useApiData('GET /api/v1/kiosk');
  const problems = components.filter((c) => c.state === 'failed' || c.state === 'degraded');
  const running = components.filter((c) => c.state === 'running').map((c) => c.name);
  const contact = info.data?.itContact ?? '';
  return (
    <section
      class={problems.length ? 'components-summary warn' : 'components-summary ok'}
      data-testid="components"
      data-problems={problems.length}
      data-running={running.join(' ')}
    >
      <h3>{t('home.components')}</h3>
      <p>
        {components.length === 0
          ? t('home.componentsWaiting')
          : problems.length === 0
            ? t('home.componentsOk')
            : t('home.componentsProblems', { n: problems.length })}
        {problems.length > 0 && ` ${contact ? t('home.callContact', { contact }) : t('home.callIt')}`}
      </p>
    </section>
  );
}
