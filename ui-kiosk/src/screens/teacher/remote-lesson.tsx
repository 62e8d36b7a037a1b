import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { signalLike, useObservable } from '../../store.js';
import { holdSession, joinUrl, refreshRemoteInfo, remoteInfo, remoteSession } from '../../remote-lesson-state.js';
import { ConfirmButton } from '../../components/confirm.js';
import { notify } from '../../components/notice.js';
import { LessonSession } from '../../remote-session.js';
import { JoinQr, RemoteMedia } from '../../components/remote-video.js';
import { LiveContext } from './live-context.js';
import { useApiData } from '../../hooks.js';
import type { LiveState } from '../../live.js';

/** Stands in for the live state when the screen is shown outside the teacher's panel. */
const noLive = signalLike<Pick<LiveState, 'components'>>({ components: new Map() });

/** The media component as the live connection last reported it (undefined: none, or not heard yet). */
function useMediaComponent() {
  const live = useContext(LiveContext);
  const state = useObservable<Pick<LiveState, 'components'>>(live?.state ?? noLive);
  return [...state.components.values()].find((c) => c.kind === 'media');
}

/**
 * On a bare machine the media worker is still being built when the panel first shows: say so,
 * with the build's progress, until the component runs (it does so by itself, no restart).
 */
function MediaNotReady({
  state,
  detail,
  progress,
}: {
  state: string;
  detail: string | undefined;
  progress: number | undefined;
}) {
  if (state === 'failed') {
    return (
      <p class="error" role="alert" data-testid="remote-failed">
        {t('remote.failed', { detail: detail ?? '' })}
      </p>
    );
  }
  return (
    <div role="status" data-testid="remote-preparing">
      <p>
        {progress === undefined
          ? t('remote.preparing')
          : t('remote.preparingProgress', { percent: Math.round(progress) })}
      </p>
      {progress !== undefined && (
        <div
          class="meter"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(progress)}
        >
          <div class="fill" style={{ width: `${Math.round(progress)}%` }} />
        </div>
      )}
      {/* Without a build under way the detail names the command that starts one (for IT staff). */}
      {progress === undefined && detail && <p class="hint">{detail}</p>}
    </div>
  );
}

/**
 * The remote lesson (三个课堂) from the teacher's side: start it, show the join code and QR code,
 * share camera and microphone or the screen, see the partner classrooms, mute or remove people.
 * The lesson is the panel's (remote-lesson-state.ts): other tabs keep it running, and after a
 * reload the lesson the appliance still runs is offered again instead of a new one.
 */
export function RemoteLessonScreen() {
  const session = useObservable(remoteSession);
  const info = useObservable(remoteInfo);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const media = useMediaComponent();
  useEffect(() => {
    void refreshRemoteInfo();
  }, []);
  const open = async (how: 'start' | 'rejoin') => {
    setError(undefined);
    setBusy(true);
    let s: LessonSession | undefined;
    try {
      s = await LessonSession.open();
      if (how === 'start') await s.request('lesson.start', {});
      await s.join();
      holdSession(s);
      notify(t(how === 'start' ? 'remote.started' : 'remote.rejoined'));
    } catch (err) {
      s?.close();
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const endOrphan = async () => {
    // A lesson this page is not connected to (after a reload): connect just to end it.
    setError(undefined);
    let s: LessonSession | undefined;
    try {
      s = await LessonSession.open();
      await s.request('lesson.end', {});
      notify(t('remote.ended'));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      s?.close();
      void refreshRemoteInfo();
    }
  };
  if (session && !session.state.get().closed) return <RemoteLessonView session={session} />;
  const running = info?.lesson;
  if (running) {
    return (
      <section class="remote-lesson">
        <p class="remote-running" data-testid="remote-running">
          {t('remote.runningElsewhere', { code: running.code, viewers: running.participants.viewers })}
        </p>
        <div class="actions">
          <button
            type="button"
            class="btn primary big"
            data-testid="remote-rejoin"
            disabled={busy}
            onClick={() => void open('rejoin')}
          >
            {t('remote.rejoin')}
          </button>
          <ConfirmButton
            testid="remote-end"
            label={t('remote.end')}
            question={t('remote.endQuestion')}
            confirmLabel={t('remote.end')}
            onConfirm={() => void endOrphan()}
          />
        </div>
        {error && <p class="error">{t('common.error', { message: error })}</p>}
      </section>
    );
  }
  const ready = !media || media.state === 'running' || media.state === 'degraded';
  return (
    <section class="remote-lesson">
      <p>{t('remote.intro')}</p>
      {!ready ? (
        <MediaNotReady state={media.state} detail={media.detail} progress={media.progress} />
      ) : (
        <button
          type="button"
          class="btn primary big"
          data-testid="remote-start"
          disabled={busy}
          onClick={() => void open('start')}
        >
          {t('remote.start')}
        </button>
      )}
      {error && <p class="error">{t('common.error', { message: error })}</p>}
      {ready && <PartnerLinkForm onLinked={holdSession} />}
    </section>
  );
}

/**
 * Join a lesson hosted by a partner classroom: the partners this classroom may link to come from
 * the appliance's allowlist (media.partners, from the district), by name. The teacher chooses one
 * and types the host's join code; the address and the key never pass through this form.
 */
function PartnerLinkForm({ onLinked }: { onLinked: (s: LessonSession) => void }) {
  const partners = useApiData('GET /api/v1/media/partners');
  const linkable = (partners.data ?? []).filter((p) => p.canLink);
  const [partnerId, setPartnerId] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  if (linkable.length === 0) return null;
  const chosen = linkable.some((p) => p.applianceId === partnerId) ? partnerId : (linkable[0]?.applianceId ?? '');
  const link = async (ev: Event) => {
    ev.preventDefault();
    setError(undefined);
    setBusy(true);
    let s: LessonSession | undefined;
    try {
      s = await LessonSession.open();
      await s.request('partner.link', { partnerId: chosen, code: code.trim().toUpperCase() });
      await s.join();
      onLinked(s);
    } catch (err) {
      s?.close();
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="partner-link" data-testid="partner-link-form" onSubmit={(ev) => void link(ev)}>
      <h3>{t('remote.partner.title')}</h3>
      <label>
        {t('remote.partner.host')}
        <select data-testid="partner-select" value={chosen} onChange={(ev) => setPartnerId(ev.currentTarget.value)}>
          {linkable.map((p) => (
            <option key={p.applianceId} value={p.applianceId}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('remote.partner.code')}
        <input
          data-testid="partner-code"
          value={code}
          autocomplete="off"
          maxLength={16}
          onInput={(ev) => setCode(ev.currentTarget.value)}
        />
      </label>
      <button
        type="submit"
        class="btn primary big"
        data-testid="partner-link"
        disabled={busy || code.trim().length < 4}
      >
        {busy ? t('remote.partner.linking') : t('remote.partner.link')}
      </button>
      {error && (
        <p class="error" role="alert" data-testid="partner-link-error">
          {t('common.error', { message: error })}
        </p>
      )}
    </form>
  );
}

function RemoteLessonView({ session }: { session: LessonSession }) {
  const s = useObservable(session.state);
  useObservable(remoteInfo);
  const [error, setError] = useState<string | undefined>(undefined);
  const [sharing, setSharing] = useState<{ camera: boolean; screen: boolean }>({ camera: false, screen: false });
  const local = useRef<HTMLVideoElement>(null);
  const act = (f: () => Promise<unknown>, done?: string) => () => {
    setError(undefined);
    f().then(
      () => done && notify(done),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  // The local preview is this page's element: after another tab it shows the tracks still being sent.
  useEffect(() => {
    const tracks = session.publishedTracks().filter((x) => x.kind === 'video' || x.kind === 'audio');
    if (local.current && tracks.length > 0) local.current.srcObject = new MediaStream(tracks);
    setSharing({ camera: session.isPublishing('camera'), screen: session.isPublishing('screen') });
  }, [session]);
  const shareCamera = act(async () => {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
    const [video] = media.getVideoTracks();
    const [audio] = media.getAudioTracks();
    if (video) await session.publish(video, 'camera');
    if (audio) await session.publish(audio, 'mic');
    if (local.current) local.current.srcObject = media;
    setSharing((x) => ({ ...x, camera: true }));
  }, t('remote.cameraShared'));
  const shareScreen = act(async () => {
    const media = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const [video] = media.getVideoTracks();
    if (video) await session.publish(video, 'screen');
    setSharing((x) => ({ ...x, screen: true }));
  }, t('remote.screenShared'));
  const end = act(async () => {
    await session.request('lesson.end', {});
    session.stopTracks();
    holdSession(undefined);
  }, t('remote.ended'));
  const link = joinUrl(s.code ?? '');
  return (
    <section class="remote-lesson">
      <div class="remote-code">
        <div>
          <p>{t('remote.code')}</p>
          <p class="remote-big-code" data-testid="remote-code" translate={false}>
            {s.code}
          </p>
          <p class="hint" data-testid="remote-join-url" translate={false}>
            {link.url}
          </p>
          {!link.reachable && (
            <p class="warn" role="status" data-testid="remote-join-local">
              {t('remote.joinLocalOnly')}
            </p>
          )}
          <p class="hint">{t('remote.notRecorded')}</p>
        </div>
        <JoinQr url={link.url} />
      </div>
      <div class="actions">
        <button
          type="button"
          class="btn big"
          data-testid="remote-camera"
          disabled={sharing.camera}
          onClick={shareCamera}
        >
          {sharing.camera ? t('remote.cameraOn') : t('remote.shareCamera')}
        </button>
        <button
          type="button"
          class="btn big"
          data-testid="remote-screen"
          disabled={sharing.screen}
          onClick={shareScreen}
        >
          {sharing.screen ? t('remote.screenOn') : t('remote.shareScreen')}
        </button>
        <span class="spacer" />
        <ConfirmButton
          testid="remote-end"
          label={t('remote.end')}
          question={t('remote.endQuestion')}
          confirmLabel={t('remote.end')}
          onConfirm={end}
        />
      </div>
      {error && <p class="error">{t('common.error', { message: error })}</p>}
      <div class="remote-grid">
        <figure class="remote-video">
          <video ref={local} autoplay playsinline muted data-testid="remote-local" />
          <figcaption>{t('remote.you')}</figcaption>
        </figure>
        {s.remotes.map((r) => (
          <RemoteMedia key={r.info.producerId} remote={r} />
        ))}
      </div>
      <h3>{t('remote.participants', { n: s.participants.length })}</h3>
      <ul class="remote-people" data-testid="remote-people">
        {s.participants.map((p) => (
          <li key={p.participantId} data-testid={`person-${p.role}`}>
            <span>
              {p.name} · {t(`remote.role.${p.role}`)}
            </span>
            {p.role !== 'teacher' && (
              <>
                <button
                  type="button"
                  class="btn"
                  onClick={act(
                    () => session.request('participant.mute', { participantId: p.participantId }),
                    t('remote.muted', { name: p.name }),
                  )}
                >
                  {t('remote.mute')}
                </button>
                <button
                  type="button"
                  class="btn danger"
                  onClick={act(
                    () => session.request('participant.remove', { participantId: p.participantId }),
                    t('remote.removed', { name: p.name }),
                  )}
                >
                  {t('remote.remove')}
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
