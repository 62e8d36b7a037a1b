import { useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import type { BodyInput } from '../../../../edge/api/contract/index.js';
import { SOURCES } from '../../../../firmware-bridge/display/sources.js';
import { t } from '../../i18n.js';
import { useObservable } from '../../store.js';
import { reportError } from '../../hooks.js';
import { LiveContext } from './live-context.js';
import type { LiveClient } from '../../live.js';
import { ConfirmButton } from '../../components/confirm.js';
import { notify } from '../../components/notice.js';

type Panel = ResponseOf<'GET /api/v1/displays'>[number];
type Command = BodyInput<'POST /api/v1/displays/:name/commands'>;

/** The classroom panel from the teacher's side: big buttons, the state the panel confirmed, today's screen time. */
export function DisplayScreen() {
  const live = useContext(LiveContext);
  return live ? <DisplayView live={live} /> : null;
}

function DisplayView({ live }: { live: LiveClient }) {
  const state = useObservable(live.state);
  const [panels, setPanels] = useState<Panel[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const load = () => void api('GET /api/v1/displays').then(setPanels, reportError);
    load();
    const id = window.setInterval(load, 30_000);
    return () => clearInterval(id);
  }, []);
  const send = async (name: string, body: Command) => {
    setError(undefined);
    try {
      const p = await api('POST /api/v1/displays/:name/commands', { params: { name }, body });
      setPanels((ps) => ps.map((x) => (x.name === name ? p : x)));
      if (body.kind === 'power') notify(t(body.on ? 'display.sentOn' : 'display.sentOff'));
      if (body.kind === 'source' && body.source)
        notify(t('display.sentSource', { source: t(`source.${body.source}`) }));
    } catch (err) {
      // The driver's own words are for IT staff (the log, 系统状态); the teacher gets what to do.
      setError(err instanceof ApiError && err.status === 409 ? t('display.busy') : t('display.failed'));
      reportError(err);
    }
  };
  return (
    <div class="display-screen">
      {error && (
        <p class="error" role="alert" data-testid="display-error">
          {error}
        </p>
      )}
      {panels.map((p) => {
        // Live state wins over the last fetched one: it is what the panel confirmed most recently.
        const s = state.displays.get(p.name) ?? { ...p.state, name: p.name };
        const pend = (k: string): boolean => k in s.pending;
        const has = (k: string): boolean => k in p.supported;
        const level = (v: number | null): string => (v === null ? '–' : String(v));
        // Off, the panel takes no other command: its controls wait until it is on again.
        const off = s.power === 'off';
        return (
          <div class="panel-card" data-testid={`display-${p.name}`} data-power={s.power} data-volume={String(s.volume)}>
            {!s.reachable && s.lastError && (
              <p class="warn" role="status" title={s.lastError} data-testid="display-unreachable">
                {t('display.unreachable')}
              </p>
            )}
            <div class="row">
              <span class="label">{t('display.power')}</span>
              <button
                type="button"
                class={`btn huge ${s.power === 'on' ? 'primary' : ''}`}
                data-testid="power-on"
                onClick={() => void send(p.name, { kind: 'power', on: true })}
              >
                {t('display.on')}
              </button>
              {off ? (
                <button type="button" class="btn huge primary" data-testid="power-off" disabled>
                  {t('display.off')}
                </button>
              ) : (
                <ConfirmButton
                  testid="power-off"
                  className="btn huge"
                  label={t('display.off')}
                  question={t('display.offQuestion')}
                  confirmLabel={t('display.offConfirm')}
                  onConfirm={() => void send(p.name, { kind: 'power', on: false })}
                />
              )}
              <span class="state" data-testid="power-state">
                {t(`display.${s.power}`)}
                {pend('power') ? ` · ${t('display.pending')}` : ''}
              </span>
            </div>
            {off && (
              <p class="hint" data-testid="display-off-hint">
                {t('display.offHint')}
              </p>
            )}
            {has('source') && (
              <div class="row">
                <span class="label">{t('display.source')}</span>
                {SOURCES.map((src) => (
                  <button
                    type="button"
                    class={`btn huge ${s.source === src ? 'primary' : ''}`}
                    data-testid={`source-${src}`}
                    disabled={off}
                    onClick={() => void send(p.name, { kind: 'source', source: src })}
                  >
                    {t(`source.${src}`)}
                  </button>
                ))}
                {pend('source') && <span class="state">{t('display.pending')}</span>}
              </div>
            )}
            <div class="row">
              <span class="label">{t('display.volume')}</span>
              <button
                type="button"
                class="btn huge"
                data-testid="volume-down"
                disabled={off}
                onClick={() => void send(p.name, { kind: 'volume', level: Math.max(0, (s.volume ?? 30) - 5) })}
              >
                −
              </button>
              <span class="level" data-testid="volume-value">
                {level(s.volume)}
              </span>
              <button
                type="button"
                class="btn huge"
                data-testid="volume-up"
                disabled={off}
                onClick={() => void send(p.name, { kind: 'volume', level: Math.min(100, (s.volume ?? 30) + 5) })}
              >
                +
              </button>
              {has('mute') && (
                <button
                  type="button"
                  class={`btn huge ${s.mute ? 'primary' : ''}`}
                  data-testid="mute"
                  disabled={off}
                  onClick={() => void send(p.name, { kind: 'mute', on: !s.mute })}
                >
                  {t('display.mute')}
                </button>
              )}
              {pend('volume') && <span class="state">{t('display.pending')}</span>}
            </div>
            {has('brightness') && (
              <div class="row">
                <span class="label">{t('display.brightness')}</span>
                <button
                  type="button"
                  class="btn huge"
                  data-testid="brightness-down"
                  disabled={off}
                  onClick={() =>
                    void send(p.name, { kind: 'brightness', level: Math.max(0, (s.brightness ?? 50) - 10) })
                  }
                >
                  −
                </button>
                <span class="level">{level(s.brightness)}</span>
                <button
                  type="button"
                  class="btn huge"
                  data-testid="brightness-up"
                  disabled={off}
                  onClick={() =>
                    void send(p.name, {
                      kind: 'brightness',
                      level: Math.min(p.capBrightness, (s.brightness ?? 50) + 10),
                    })
                  }
                >
                  +
                </button>
                <span class="hint">{t('display.brightnessCap', { cap: p.capBrightness })}</span>
              </div>
            )}
            {has('eyeCare') && (
              <div class="row">
                <span class="label">{t('display.eyeCare')}</span>
                <button
                  type="button"
                  class={`btn huge ${s.eyeCare ? 'primary' : ''}`}
                  data-testid="eyecare"
                  disabled={off}
                  onClick={() => void send(p.name, { kind: 'eyeCare', on: !s.eyeCare })}
                >
                  {s.eyeCare ? t('display.on') : t('display.off')}
                </button>
              </div>
            )}
            <div class="row">
              <span class="label">{t('display.screenTime')}</span>
              <div class="meter" data-testid="screen-time">
                <div
                  class={p.screenTime.share > p.screenTime.limit ? 'fill over' : 'fill'}
                  style={{ width: `${Math.min(100, Math.round(p.screenTime.share * 100))}%` }}
                />
              </div>
              <span class="hint">
                {t('display.screenTimeBody', {
                  share: Math.round(p.screenTime.share * 100),
                  limit: Math.round(p.screenTime.limit * 100),
                  minutes: p.screenTime.lessonOnMinutes,
                })}
              </span>
            </div>
          </div>
        );
      })}
    </div>
  );
}
