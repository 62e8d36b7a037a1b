import { useContext, useEffect, useState } from 'preact/hooks';
import { METRICS } from '../../../../edge/metrics.js';
import { api, type ResponseOf } from '../../api.js';
import { lang, t } from '../../i18n.js';
import { useObservable } from '../../store.js';
import { reportError } from '../../hooks.js';
import { TimeChart } from '../../components/chart.js';
import { AlertList, alertStatus } from '../../components/alerts.js';
import { LiveContext } from './live-context.js';
import { roomValueOf } from '../../../../edge/environment/room-value.js';
import type { LiveClient } from '../../live.js';

type EnvView = ResponseOf<'GET /api/v1/environment'>;
type MetricView = EnvView['metrics'][number];

const DAY = 24 * 3_600_000;

function History({ metric, unit, label }: { metric: string; unit: string; label: string }) {
  const [points, setPoints] = useState<[number, number][]>([]);
  useEffect(() => {
    const load = () =>
      void api('GET /api/v1/environment/history', { query: { metric, hours: 24 } }).then(
        (rows) => setPoints(rows.map((r): [number, number] => [r.ts, r.avg])),
        reportError,
      );
    load();
    const id = window.setInterval(load, 60_000);
    return () => clearInterval(id);
  }, [metric]);
  return <TimeChart points={points} label={label} unit={unit} windowMs={DAY} testId={`history-${metric}`} />;
}

/** The room against the standards: values coloured by their limits, 24-h charts, alerts with advice, the desk check. */
const WINDOW_HOURS = { '1h': 1, '8h': 8, '24h': 24 } as const;

export function RoomScreen() {
  const live = useContext(LiveContext);
  return live ? <RoomView live={live} /> : null;
}

function RoomView({ live }: { live: LiveClient }) {
  const state = useObservable(live.state);
  const l = useObservable(lang);
  const [env, setEnv] = useState<EnvView | undefined>(undefined);
  const alertKey = [...state.alerts.keys()].sort().join(',');
  useEffect(() => {
    const load = () => void api('GET /api/v1/environment').then(setEnv, reportError);
    load();
    const id = window.setInterval(load, 10_000);
    return () => clearInterval(id);
  }, [alertKey]);
  const alerts = [...state.alerts.values()].sort((a, b) =>
    a.level === b.level ? a.startedAt - b.startedAt : a.level === 'alert' ? -1 : 1,
  );
  // The live alerts (a snapshot at connect, then every change) are what the colours follow.
  const statusOf = (metric: string): MetricView['status'] => alertStatus(alerts, metric);
  return (
    <div class="room">
      <section>
        <h2>{t('room.alerts')}</h2>
        <AlertList alerts={alerts} empty />
      </section>
      <section class="tiles">
        {env?.metrics.map((m) => {
          // The same value as the home screen's tile: the room's, from the live readings.
          const latest = [...state.latest.values()].filter((v) => v.metric === m.metric);
          const value = roomValueOf(m.metric, latest, Date.now()) ?? m.room ?? m.devices[0]?.value ?? 0;
          const status = statusOf(m.metric);
          const spec = METRICS[m.metric];
          return (
            <div
              class={`tile status-${status}`}
              data-testid={`room-${m.metric}`}
              data-status={status}
              data-value={Number(value.toFixed(Math.abs(value) >= 100 ? 0 : 1))}
            >
              <div class="tile-label">
                {spec ? spec.label[l] : m.metric} · {t(`status.${status}`)}
              </div>
              <div class="tile-value">
                {value.toFixed(Math.abs(value) >= 100 ? 0 : 1)}
                <span class="tile-unit">{m.unit}</span>
              </div>
              <div class="tile-meta">
                {(['1h', '8h', '24h'] as const)
                  // A longer window over no more data than the shorter one would repeat its figure.
                  .filter((w) => {
                    const a = m.windows[w];
                    if (!a) return false;
                    const prev = w === '8h' ? 1 : w === '24h' ? 8 : 0;
                    return a.coverage * WINDOW_HOURS[w] > prev + 0.05;
                  })
                  // An average over part of its window says how much data it holds: "（已有 1.2 小时数据）".
                  .map((w) => {
                    const a = m.windows[w]!;
                    const partial =
                      a.coverage < 0.99 ? t('room.dataHours', { h: (a.coverage * WINDOW_HOURS[w]).toFixed(1) }) : '';
                    return `${t(`room.avg${w}`)} ${a.avg.toFixed(Math.abs(a.avg) >= 100 ? 0 : 1)}${partial}`;
                  })
                  .join(' · ')}
              </div>
            </div>
          );
        })}
      </section>
      <section class="card desk" data-testid="desk-check" data-ok={String(env?.desk.ok ?? 'none')}>
        <h3>{t('room.desk')}</h3>
        {env && env.desk.averageLx !== null ? (
          <p class={env.desk.ok ? 'ok' : 'warn'}>
            {t(env.desk.ok ? 'room.deskOk' : 'room.deskLow', { lx: env.desk.averageLx, min: env.desk.minLx })}
            {env.desk.uniformity !== null
              ? ` · ${t('room.deskUniform', { u: env.desk.uniformity, min: env.desk.uniformityMin })}`
              : ''}
          </p>
        ) : (
          <p class="hint">{t('room.deskNone')}</p>
        )}
      </section>
      <section class="charts">
        {env?.metrics.map((m) => (
          <div class="card">
            <h3>
              {METRICS[m.metric]?.label[l] ?? m.metric} · {t('room.history')}
            </h3>
            <History metric={m.metric} unit={m.unit} label={m.metric} />
          </div>
        ))}
      </section>
    </div>
  );
}
