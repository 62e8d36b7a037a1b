import { t, type MessageKey } from '../../i18n.js';
import { useApiData } from '../../hooks.js';

/** What each screen shows, in the order of the tabs: a teacher new to the panel reads this first. */
const SCREENS: readonly { title: MessageKey; body: MessageKey }[] = [
  { title: 'nav.home', body: 'help.home' },
  { title: 'nav.health', body: 'help.health' },
  { title: 'nav.display', body: 'help.display' },
  { title: 'nav.lesson', body: 'help.lesson' },
  { title: 'nav.room', body: 'help.room' },
  { title: 'nav.remote', body: 'help.remote' },
];

/** 帮助: what each screen shows and whom to call (kiosk.itContact), with what to tell them. */
export function HelpScreen() {
  const info = useApiData('GET /api/v1/kiosk');
  const contact = info.data?.itContact ?? '';
  return (
    <div class="page help" data-testid="help">
      <section class="card help-contact" data-testid="help-contact">
        <h2>{t('help.callTitle')}</h2>
        <p class="help-who">{contact || t('help.noContact')}</p>
        <p>{t('help.tellThem', { version: info.data?.version ?? '' })}</p>
      </section>
      {SCREENS.map((s) => (
        <section class="card">
          <h3>{t(s.title)}</h3>
          <p>{t(s.body)}</p>
        </section>
      ))}
      <section class="card">
        <h3>{t('help.privacyTitle')}</h3>
        <p>{t('lesson.privacy')}</p>
      </section>
    </div>
  );
}
