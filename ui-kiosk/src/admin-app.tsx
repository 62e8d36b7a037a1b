import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type KioskInfo, type SessionInfo } from './api.js';
import { t } from './i18n.js';
import { useObservable } from './store.js';
import { navigate, useRoute } from './router.js';
import { TopBar } from './components/topbar.js';
import { ScreenView } from './components/lazy.js';
import { screensFor } from './screens/registry.js';
import { sessionLost } from './hooks.js';
import { Field } from './components/form.js';
import { errorText, loginErrorText, userIssues } from './admin-words.js';

/** The appliance's account rules and lock time, for saying a refusal in words; undefined until known. */
function useKioskInfo(): KioskInfo | undefined {
  const [info, setInfo] = useState<KioskInfo | undefined>(undefined);
  useEffect(() => {
    void api('GET /api/v1/kiosk').then(setInfo, () => undefined);
  }, []);
  return info;
}

/** The IT admin console: first-run setup, password login, then one page per job. */
export function AdminApp() {
  const [session, setSession] = useState<SessionInfo | undefined>(undefined);
  const lost = useObservable(sessionLost);
  const path = useRoute();
  const refresh = () => void api('GET /api/v1/session').then(setSession);
  useEffect(refresh, []);
  useEffect(() => {
    if (lost) {
      sessionLost.set(false);
      refresh();
    }
  }, [lost]);

  if (!session) return <div class="loading" aria-busy="true" />;
  if (session.setupRequired) return <Setup onDone={refresh} />;
  if (!session.authenticated || session.user?.role !== 'admin') return <AdminLogin onDone={setSession} />;

  const adminScreens = screensFor('admin');
  const screen = adminScreens.find((s) => s.path === path) ?? adminScreens[0];
  return (
    <div class="screen admin">
      <TopBar title={t('admin.title')} onHome={() => navigate(adminScreens[0]?.path ?? '/')}>
        <span class="user" translate={false}>
          {session.user.displayName}
        </span>
        <button
          type="button"
          class="btn"
          data-testid="logout"
          onClick={() => void api('DELETE /api/v1/session').finally(refresh)}
        >
          {t('nav.logout')}
        </button>
      </TopBar>
      <div class="admin-body">
        <nav class="side">
          {adminScreens.map((s) => (
            <a href={`#${s.path}`} class={s === screen ? 'nav active' : 'nav'} data-testid={`nav-${s.id}`}>
              {t(s.title)}
            </a>
          ))}
        </nav>
        <main class="content">{screen && <ScreenView screen={screen} />}</main>
      </div>
    </div>
  );
}

function AdminLogin({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const info = useKioskInfo();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      onDone(await api('POST /api/v1/session/admin', { body: { username, password } }));
    } catch (err) {
      setError(loginErrorText(err, info?.lockoutSeconds));
    }
  };
  return (
    <div class="screen">
      <TopBar title={t('admin.title')} />
      <form class="form narrow" onSubmit={(e) => void submit(e)}>
        <h2>{t('admin.login')}</h2>
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <Field
          label={t('admin.username')}
          name="username"
          value={username}
          onInput={setUsername}
          autocomplete="username"
        />
        <Field
          label={t('admin.password')}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          autocomplete="current-password"
        />
        <button type="submit" class="btn primary big" data-testid="admin-login">
          {t('admin.loginButton')}
        </button>
      </form>
    </div>
  );
}

function Setup({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [issues, setIssues] = useState<Record<string, string>>({});
  const info = useKioskInfo();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST /api/v1/setup/admin', { body: { username, password, ...(displayName ? { displayName } : {}) } });
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) setIssues(userIssues(err.issues, info));
      else if (err instanceof ApiError && err.status === 409) setIssues({ '': t('admin.setupTaken') });
      else setIssues({ '': errorText(err) });
    }
  };
  return (
    <div class="screen">
      <TopBar title={t('admin.title')} />
      <form class="form narrow" data-testid="setup" onSubmit={(e) => void submit(e)}>
        <h2>{t('admin.setupTitle')}</h2>
        <p class="hint">{t('admin.setupBody')}</p>
        {issues[''] && <p class="error">{issues['']}</p>}
        <Field
          label={t('admin.username')}
          name="username"
          value={username}
          onInput={setUsername}
          error={issues.username}
        />
        <Field
          label={t('admin.displayName')}
          name="displayName"
          value={displayName}
          onInput={setDisplayName}
          error={issues.displayName}
        />
        <Field
          label={t('admin.password')}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          error={issues.secret}
          autocomplete="new-password"
        />
        <button type="submit" class="btn primary big" data-testid="setup-create">
          {t('admin.create')}
        </button>
      </form>
    </div>
  );
}
