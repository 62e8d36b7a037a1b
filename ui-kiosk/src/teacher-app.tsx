import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, type KioskInfo, type SessionInfo } from './api.js';
import { applyDefaultLang, t, formatClock } from './i18n.js';
import { LiveClient } from './live.js';
import { useObservable } from './store.js';
import { navigate, useRoute } from './router.js';
import { useIdle } from './idle.js';
import { TopBar } from './components/topbar.js';
import { ScreenView } from './components/lazy.js';
import { screensFor } from './screens/registry.js';
import { TeacherLogin } from './screens/teacher/login.js';
import { LiveContext } from './screens/teacher/live-context.js';
import { sessionLost } from './hooks.js';
import { StorageBanner } from './components/storage-banner.js';
import { NoticeBar } from './components/notice.js';
import { RemoteBadge } from './components/remote-badge.js';
import { holdSession, lessonLive, refreshRemoteInfo, remoteInfo, remoteSession } from './remote-lesson-state.js';

/**
 * The teacher's panel: PIN login, then the room's live state. Every screen has the home button;
 * inactivity returns home and locks; a lost connection keeps the last state, marked stale.
 */
export function TeacherApp() {
  const [info, setInfo] = useState<KioskInfo | undefined>(undefined);
  const [session, setSession] = useState<SessionInfo | undefined>(undefined);
  const live = useMemo(() => new LiveClient(() => setSession({ authenticated: false, setupRequired: false })), []);
  const liveState = useObservable(live.state);
  const lost = useObservable(sessionLost);
  const path = useRoute();
  useObservable(remoteSession);
  useObservable(remoteInfo);

  useEffect(() => {
    void api('GET /api/v1/kiosk').then((k) => {
      applyDefaultLang(k.defaultLanguage);
      setInfo(k);
    });
    void api('GET /api/v1/session').then(setSession);
  }, []);

  const authed = session?.authenticated === true && !lost;
  useEffect(() => {
    if (!authed) return undefined;
    live.start();
    // A lesson started on another panel tab, or before a reload, shows in the top bar too.
    void refreshRemoteInfo();
    const poll = window.setInterval(() => void refreshRemoteInfo(), 20_000);
    return () => {
      live.stop();
      clearInterval(poll);
    };
  }, [authed, live]);

  const lock = useCallback(() => {
    // Locking ends this panel's session, and with it the camera the remote lesson's viewers watch;
    // the lesson itself goes on (the next teacher can go back to it or end it).
    remoteSession.get()?.stopTracks();
    holdSession(undefined);
    void api('DELETE /api/v1/session').catch(() => undefined);
    sessionLost.set(false);
    setSession({ authenticated: false, setupRequired: false });
    navigate('/');
  }, []);
  // The idle time is the appliance's (kiosk.idleLockSeconds); until it is known nobody is logged in.
  // Not while a remote lesson is live: a teacher at the blackboard does not touch the panel, and
  // the lock would cut the camera the viewers watch.
  const remoteLive = authed && lessonLive();
  useIdle(info?.idleLockSeconds, lock, authed && !remoteLive);

  if (!info || !session) return <div class="loading" aria-busy="true" />;
  if (!authed) {
    return (
      <div class="screen">
        <TopBar title={info.applianceName} />
        <StorageBanner initial={info.storage} />
        <TeacherLogin
          pinLength={info.pinLength}
          lockoutSeconds={info.lockoutSeconds}
          itContact={info.itContact}
          onLoggedIn={(s) => {
            // Stay on the screen that was asked for (a bookmarked #/room); the idle lock returns home.
            sessionLost.set(false);
            setSession(s);
          }}
        />
      </div>
    );
  }
  const teacherScreens = screensFor('teacher');
  const screen = teacherScreens.find((s) => s.path === path) ?? teacherScreens[0];
  const hadData = liveState.lastFrameAt !== undefined;
  return (
    <LiveContext.Provider value={live}>
      <div class="screen">
        <TopBar title={info.applianceName} connected={liveState.connected} onHome={() => navigate('/')}>
          {remoteLive && <RemoteBadge />}
          <span class="user" translate={false}>
            {session.user?.displayName}
          </span>
          <button type="button" class="btn" data-testid="lock" onClick={lock}>
            {t('nav.lock')}
          </button>
        </TopBar>
        <StorageBanner initial={info.storage} />
        <NoticeBar />
        {liveState.reminder && (
          <div class="banner reminder" role="status" data-testid="screen-reminder">
            {t('display.reminder', {
              share: Math.round(liveState.reminder.share * 100),
              limit: Math.round(liveState.reminder.limit * 100),
            })}{' '}
            <button type="button" class="btn" onClick={() => live.dismissReminder()}>
              {t('display.dismiss')}
            </button>
          </div>
        )}
        {liveState.capture.active && (
          <div class="banner capture" role="alert" data-testid="capture-banner">
            {t('lesson.captureOn', { until: formatClock(liveState.capture.until ?? 0) })}
          </div>
        )}
        {!liveState.connected && hadData && (
          <div class="banner stale" role="status" data-testid="stale-banner">
            {t('conn.staleBanner')}
          </div>
        )}
        <nav class="tabs">
          {teacherScreens.map((s) => (
            <a href={`#${s.path}`} class={s === screen ? 'tab active' : 'tab'} data-testid={`tab-${s.id}`}>
              {t(s.title)}
            </a>
          ))}
        </nav>
        <main class="content">{screen && <ScreenView screen={screen} />}</main>
      </div>
    </LiveContext.Provider>
  );
}
