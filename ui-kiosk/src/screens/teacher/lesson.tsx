import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { useObservable } from '../../store.js';
import { LessonSession } from '../../lesson-session.js';
import { JoinQr, RemoteMedia } from '../../components/lesson-video.js';

/**
 * The remote lesson (三个课堂) from the teacher's side: start it, show the join code and QR code,
 * share camera and microphone or the screen, see the partner classrooms, mute or remove people.
 */
export function LessonScreen() {
  const [session, setSession] = useState<LessonSession | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => () => session?.close(), [session]);
  const start = async () => {
    setError(undefined);
    try {
      const s = await LessonSession.open();
      await s.request('lesson.start', {});
      await s.join();
      setSession(s);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  if (!session)
    return (
      <section class="lesson">
        <p>{t('lesson.intro')}</p>
        <button class="big" data-testid="lesson-start" onClick={() => void start()}>
          {t('lesson.start')}
        </button>
        {error && <p class="error">{t('common.error', { message: error })}</p>}
      </section>
    );
  return <LessonView session={session} onEnd={() => setSession(undefined)} />;
}

function LessonView({ session, onEnd }: { session: LessonSession; onEnd: () => void }) {
  const s = useObservable(session.state);
  const [error, setError] = useState<string | undefined>(undefined);
  const [sharing, setSharing] = useState<{ camera: boolean; screen: boolean }>({ camera: false, screen: false });
  const local = useRef<HTMLVideoElement>(null);
  const act = (f: () => Promise<unknown>) => () => {
    setError(undefined);
    f().catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  const shareCamera = act(async () => {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
    const [video] = media.getVideoTracks();
    const [audio] = media.getAudioTracks();
    if (video) await session.publish(video, 'camera');
    if (audio) await session.publish(audio, 'mic');
    if (local.current) local.current.srcObject = media;
    setSharing((x) => ({ ...x, camera: true }));
  });
  const shareScreen = act(async () => {
    const media = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const [video] = media.getVideoTracks();
    if (video) await session.publish(video, 'screen');
    setSharing((x) => ({ ...x, screen: true }));
  });
  const end = act(async () => {
    await session.request('lesson.end', {});
    session.close();
    onEnd();
  });
  const joinUrl = `${location.origin}/join#${s.code ?? ''}`;
  return (
    <section class="lesson">
      <div class="lesson-code">
        <div>
          <p>{t('lesson.code')}</p>
          <p class="big-code" data-testid="lesson-code">
            {s.code}
          </p>
          <p class="hint">{joinUrl}</p>
          <p class="hint">{t('lesson.notRecorded')}</p>
        </div>
        <JoinQr url={joinUrl} />
      </div>
      <div class="actions">
        <button data-testid="lesson-camera" disabled={sharing.camera} onClick={shareCamera}>
          {t('lesson.shareCamera')}
        </button>
        <button data-testid="lesson-screen" disabled={sharing.screen} onClick={shareScreen}>
          {t('lesson.shareScreen')}
        </button>
        <button class="danger" data-testid="lesson-end" onClick={end}>
          {t('lesson.end')}
        </button>
      </div>
      {error && <p class="error">{t('common.error', { message: error })}</p>}
      <div class="lesson-grid">
        <figure class="lesson-video">
          <video ref={local} autoplay playsinline muted data-testid="lesson-local" />
          <figcaption>{t('lesson.you')}</figcaption>
        </figure>
        {s.remotes.map((r) => (
          <RemoteMedia key={r.info.producerId} remote={r} />
        ))}
      </div>
      <h3>{t('lesson.participants', { n: s.participants.length })}</h3>
      <ul class="lesson-people" data-testid="lesson-people">
        {s.participants.map((p) => (
          <li key={p.participantId} data-testid={`person-${p.role}`}>
            <span>
              {p.name} · {t(`lesson.role.${p.role}`)}
            </span>
            <button onClick={act(() => session.request('participant.mute', { participantId: p.participantId }))}>{t('lesson.mute')}</button>
            <button class="danger" onClick={act(() => session.request('participant.remove', { participantId: p.participantId }))}>
              {t('lesson.remove')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
