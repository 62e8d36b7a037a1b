import { useEffect, useMemo, useState } from 'preact/hooks';
import type { LiveEvents } from '../../../../edge/messages.js';
import { t, formatTime } from '../../i18n.js';
import { useApiData } from '../../hooks.js';
import { LiveClient } from '../../live.js';
import { sessionLost } from '../../hooks.js';
import { counterText } from '../../admin-words.js';

const MAX_FRAMES = 200;

/** Each bus with its sensors, and the raw frames on the wire as they pass: for troubleshooting wiring and addresses. */
export function ModbusScreen() {
  const buses = useApiData('GET /api/v1/modbus');
  const [frames, setFrames] = useState<LiveEvents['modbus.frame'][]>([]);
  const live = useMemo(() => new LiveClient(() => sessionLost.set(true)), []);
  useEffect(() => {
    live.start();
    const off = live.frames.subscribe((f) => {
      if (f?.type === 'modbus.frame') setFrames((fs) => [f.data, ...fs].slice(0, MAX_FRAMES));
    });
    const id = window.setInterval(buses.reload, 5000);
    return () => {
      off();
      clearInterval(id);
      live.stop();
    };
  }, [live]);
  return (
    <div class="page">
      <h2>{t('admin.modbus')}</h2>
      {buses.data?.length === 0 && <p class="hint">{t('common.none')}</p>}
      {buses.data?.map((b) => (
        <div class="card" data-testid={`bus-${b.name}`}>
          <h3>
            {b.name} · {t(`state.${b.state}`)}
          </h3>
          {b.detail && <p class="warn">{b.detail}</p>}
          <ul class="counters hint" aria-label={t('modbus.counters')}>
            {Object.entries(b.counters ?? {}).map(([k, v]) => (
              <li data-counter={k}>{counterText(k, v)}</li>
            ))}
          </ul>
          <table class="table">
            <thead>
              <tr>
                <th>{t('modbus.col.address')}</th>
                <th>{t('modbus.col.id')}</th>
                <th>{t('modbus.col.model')}</th>
                <th>{t('modbus.col.state')}</th>
                <th>{t('modbus.col.error')}</th>
              </tr>
            </thead>
            <tbody>
              {b.slaves.map((s) => (
                <tr data-testid={`slave-${s.id}`}>
                  <td>{s.address}</td>
                  <td translate={false}>{s.id}</td>
                  <td>
                    <code>{s.profile}</code>
                  </td>
                  <td class={s.online === false ? 'warn nowrap' : 'nowrap'}>
                    {t(s.online === undefined ? 'modbus.unknown' : s.online ? 'modbus.online' : 'modbus.offline')}
                  </td>
                  <td>{s.lastError ? <code>{s.lastError}</code> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      <h3>{t('modbus.frames')}</h3>
      <pre class="frames" data-testid="modbus-frames">
        {frames
          .map((f) => `${formatTime(f.at)} ${f.bus} ${f.dir} ${f.hex}${f.error ? `  ← ${f.error}` : ''}\n`)
          .join('')}
      </pre>
    </div>
  );
}
