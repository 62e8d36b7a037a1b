import { useEffect, useState } from 'preact/hooks';
import { api, type KioskInfo } from '../api.js';
import { formatTime, t } from '../i18n.js';

/** How often the panel asks again: a disk fills over minutes, not seconds. */
const POLL_MS = 30_000;

/**
 * The storage warning for the teacher and IT: a nearly full disk (what was deleted, what to do) and a
 * start on a fresh database after damage. Shown before and after login, from `GET /api/v1/kiosk`.
 */
export function StorageBanner({ initial }: { initial: KioskInfo['storage'] }) {
  const [s, setS] = useState(initial);
  useEffect(() => {
    const timer = setInterval(() => {
      void api('GET /api/v1/kiosk')
        .then((k) => setS(k.storage))
        .catch(() => undefined);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  return (
    <>
      {s.level !== 'ok' && (
        <div class={`banner disk ${s.level}`} role="alert" data-testid="disk-banner">
          {t(s.level === 'critical' ? 'disk.critical' : 'disk.low', { free: s.freeMb, unsynced: s.unsyncedReadings })}
        </div>
      )}
      {s.recoveredAt !== null && (
        <div class="banner disk recovered" role="alert" data-testid="recovered-banner">
          {t('disk.recovered', { at: formatTime(s.recoveredAt) })}
        </div>
      )}
    </>
  );
}
