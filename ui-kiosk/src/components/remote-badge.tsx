import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { signalLike, useObservable } from '../store.js';
import { remoteInfo, remoteSession } from '../remote-lesson-state.js';

const none = signalLike<{ closed: string | undefined }>({ closed: undefined });

/** 远程课进行中 in the top bar on every tab: the way back to the lesson's controls. */
export function RemoteBadge() {
  const session = useObservable(remoteSession);
  const state = useObservable<{ closed: string | undefined }>(session?.state ?? none);
  const info = useObservable(remoteInfo);
  const viewers = info?.lesson?.participants.viewers ?? 0;
  if (session && state.closed && !info?.lesson) return null;
  return (
    <button type="button" class="btn remote-live" data-testid="remote-badge" onClick={() => navigate('/remote')}>
      ● {t('remote.badge')}
      {viewers > 0 ? ` · ${t('remote.badgeViewers', { n: viewers })}` : ''}
    </button>
  );
}
