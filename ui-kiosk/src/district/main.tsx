import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useObservable } from '../store.js';
import { ConsoleApiError, consoleApi, type Me } from './api.js';
import { FleetPage } from './fleet-page.js';
import { AppliancePage } from './appliance-page.js';
import { HealthPage } from './health-page.js';
import { ResearchPage } from './research-page.js';
import { RolloutsPage } from './rollouts-page.js';
import { EnvironmentPage } from './environment-page.js';
import { districtLang, setDistrictLang, w } from './words.js';
import './district.css';

const ROLE_WORD = {
  'district-it': 'roleDistrictIt',
  'school-it': 'roleSchoolIt',
  health: 'roleHealth',
  research: 'roleResearch',
  environment: 'roleEnvironment',
} as const;

function Login({ done }: { done: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    consoleApi.login(username, password).then(done, (err: unknown) => {
      setBusy(false);
      const code = err instanceof ConsoleApiError ? err.code : '';
      setError(code === 'locked' ? w('locked') : code === 'busy' ? w('busy') : w('badLogin'));
    });
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>{w('title')}</h1>
      <label>
        {w('username')}
        <input
          name="username"
          autocomplete="username"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </label>
      <label>
        {w('password')}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {error && <p class="error">{error}</p>}
      <button type="submit" disabled={busy || !username || !password}>
        {w('login')}
      </button>
    </form>
  );
}

const route = (): { appliance?: string; rollouts?: true; environment?: true } => {
  if (location.hash === '#/rollouts') return { rollouts: true };
  if (location.hash === '#/environment') return { environment: true };
  const m = /^#\/appliance\/(.+)$/.exec(location.hash);
  return m?.[1] ? { appliance: decodeURIComponent(m[1]) } : {};
};

function DistrictApp() {
  const lang = useObservable(districtLang);
  const [me, setMe] = useState<Me | null | undefined>();
  const [where, setWhere] = useState(route());
  useEffect(() => {
    void consoleApi.me().then(setMe, () => setMe(null));
    const onHash = (): void => setWhere(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (me === undefined) return null;
  if (me === null) return <Login done={setMe} />;
  const fleetRole = me.role === 'district-it' || me.role === 'school-it';
  return (
    <div class="page">
      <header>
        <h1>{w('title')}</h1>
        <nav>
          {fleetRole && <a href="#/">{w('fleet')}</a>}
          {fleetRole && <a href="#/rollouts">{w('rollouts')}</a>}
          {me.role === 'health' && <a href="#/">{w('health')}</a>}
          {me.role === 'research' && <a href="#/">{w('research')}</a>}
          {me.role === 'environment' && <a href="#/">{w('environment')}</a>}
          {fleetRole && <a href="#/environment">{w('environment')}</a>}
        </nav>
        <span class="who">
          {me.username} · {w(ROLE_WORD[me.role])}
          {me.school ? ` · ${me.school}` : ''}
        </span>
        <button type="button" class="link" onClick={() => setDistrictLang(lang === 'en' ? 'zh-CN' : 'en')}>
          {w('language')}
        </button>
        <button type="button" class="link" onClick={() => void consoleApi.logout().finally(() => setMe(null))}>
          {w('logout')}
        </button>
      </header>
      <main>
        {me.role === 'health' && <HealthPage />}
        {me.role === 'research' && <ResearchPage />}
        {(me.role === 'environment' || (fleetRole && where.environment)) && <EnvironmentPage />}
        {fleetRole && where.rollouts && <RolloutsPage />}
        {fleetRole && where.appliance && <AppliancePage id={where.appliance} back={() => (location.hash = '#/')} />}
        {fleetRole && !where.appliance && !where.rollouts && !where.environment && (
          <FleetPage open={(id) => (location.hash = `#/appliance/${encodeURIComponent(id)}`)} />
        )}
      </main>
    </div>
  );
}

document.documentElement.lang = districtLang.get();

const root = document.getElementById('district');
if (root) render(<DistrictApp />, root);
