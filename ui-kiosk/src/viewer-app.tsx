import { useEffect, useState } from 'preact/hooks';
import { t, lang, setLang } from './i18n.js';
import { useObservable } from './store.js';
import { LessonSession } from './remote-session.js';
import { RemoteMedia } from './components/remote-video.js';

declare global {
  interface Window {
    /** For the browser test and for troubleshooting: frames this page has decoded. */
    classedgeFramesDecoded?: () => Promise<number>;
  }
}

/** `/join`: a parent, expert or guest joins a remote lesson with its code. No account, no plug-in. */
export function ViewerApp() {
  useObservable(lang);
  const [code, setCode] = useState(location.hash.replace(/^#/, '').toUpperCase());
  const [name, setName] = useState('');
  const [session, setSession] = useState<LessonSession | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => () => session?.close(), [session]);
  const join = async () => {
    setError(undefined);
    try {
      const s = await LessonSession.open(code.trim().toUpperCase());
      await s.join(name.trim() || undefined);
      window.classedgeFramesDecoded = () => s.framesDecoded();
      setSession(s);
    } catch (err) {
      setError(
        err instanceof Error && err.message === 'code'
          ? t('viewer.badCode')
          : t('common.error', { message: err instanceof Error ? err.message : String(err) }),
      );
    }
  };
  return (
    <main class="viewer">
      <header class="topbar">
        <h1>{t('viewer.title')}</h1>
        <button
          type="button"
          class="btn"
          data-testid="lang"
          onClick={() => setLang(lang.get() === 'en' ? 'zh-CN' : 'en')}
        >
          {lang.get() === 'en' ? '中文' : 'English'}
        </button>
      </header>
      {session ? (
        <Watching session={session} />
      ) : (
        <form
          class="viewer-join"
          onSubmit={(e) => {
            e.preventDefault();
            void join();
          }}
        >
          <label>
            {t('viewer.code')}
            <input
              data-testid="viewer-code"
              value={code}
              maxLength={16}
              autoComplete="off"
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          <label>
            {t('viewer.name')}
            <input
              data-testid="viewer-name"
              value={name}
              maxLength={40}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <button class="btn primary big" type="submit" data-testid="viewer-join">
            {t('viewer.join')}
          </button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <p class="hint">{t('remote.notRecorded')}</p>
        </form>
      )}
    </main>
  );
}

function Watching({ session }: { session: LessonSession }) {
  const s = useObservable(session.state);
  if (s.closed)
    return (
      <p class="viewer-status" role="status" data-testid="viewer-closed">
        {t(`viewer.closed.${s.closed === 'removed' ? 'removed' : 'ended'}`)}
      </p>
    );
  return (
    <div class="remote-grid" data-testid="viewer-grid">
      {s.remotes.length === 0 && (
        <p class="viewer-status" role="status" data-testid="viewer-waiting">
          {t('viewer.waiting')}
        </p>
      )}
      {s.remotes.map((r) => (
        <RemoteMedia key={r.info.producerId} remote={r} />
      ))}
    </div>
  );
}
