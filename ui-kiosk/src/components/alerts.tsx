import type { LiveEvents } from '../../../edge/messages.js';
import { METRICS } from '../../../edge/metrics.js';
import { formatTime, lang, t, type MessageKey } from '../i18n.js';

/** A rule's averaging window in words: "当前值", "1 小时均值"… */
const WINDOW_KEY: Record<string, MessageKey | undefined> = {
  instant: 'window.instant',
  '1h': 'room.avg1h',
  '8h': 'room.avg8h',
  '24h': 'room.avg24h',
};
import { useObservable } from '../store.js';

/** A quantity's colour: the worst of its active alerts, the same on every screen. */
export function alertStatus(alerts: readonly LiveEvents['env.alert'][], metric: string): 'ok' | 'warn' | 'alert' {
  const levels = alerts.filter((a) => a.metric === metric).map((a) => a.level);
  return levels.includes('alert') ? 'alert' : levels.includes('warn') ? 'warn' : 'ok';
}

/** Active environment alerts as plain advice ("开窗通风"), largest first. */
export function AlertList({ alerts, empty }: { alerts: LiveEvents['env.alert'][]; empty?: boolean }) {
  const l = useObservable(lang);
  if (alerts.length === 0)
    return empty ? (
      <p class="hint" data-testid="no-alerts">
        {t('room.noAlerts')}
      </p>
    ) : null;
  return (
    <ul class="alerts" data-testid="env-alerts">
      {alerts.map((a) => {
        const spec = METRICS[a.metric];
        const windowKey = WINDOW_KEY[a.window];
        return (
          <li class={`alert ${a.level}`} data-testid={`alert-${a.ruleId}`}>
            <strong class="advice">{a.advice ? t(`advice.${a.advice}`) : a.ruleId}</strong>
            <span>
              {spec ? spec.label[l] : a.metric} {windowKey ? t(windowKey) : a.window}{' '}
              {a.direction === 'high' ? '>' : '<'} {a.threshold} {spec?.unit ?? ''} ·{' '}
              {t('room.since', { time: formatTime(a.startedAt), peak: Math.round(a.peak * 10) / 10 })}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
