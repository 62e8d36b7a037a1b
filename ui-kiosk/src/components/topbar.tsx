import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { lang, setLang, t, formatTime } from '../i18n.js';
import { useObservable } from '../store.js';

/** The bar on every screen: where am I, is the data live, the way home, the language switch. */
export function TopBar({
  title,
  connected,
  onHome,
  children,
}: {
  title: string;
  connected?: boolean;
  onHome?: () => void;
  children?: ComponentChildren;
}) {
  const l = useObservable(lang);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return (
    <header class="topbar">
      {onHome && (
        <button type="button" class="btn home" data-testid="home" onClick={onHome}>
          ⌂ {t('nav.home')}
        </button>
      )}
      {/* The room's name is what the school called it: a name, not text to translate. */}
      <h1 class="title" data-testid="room-name" translate={false}>
        {title}
      </h1>
      <span class="clock">{formatTime(now)}</span>
      {connected !== undefined && (
        <span class={connected ? 'badge live' : 'badge stale'} data-testid="conn" data-connected={String(connected)}>
          {connected ? t('conn.live') : t('conn.stale')}
        </span>
      )}
      {children}
      <button type="button" class="btn" data-testid="lang" onClick={() => setLang(l === 'zh-CN' ? 'en' : 'zh-CN')}>
        {t('lang.switch')}
      </button>
    </header>
  );
}
