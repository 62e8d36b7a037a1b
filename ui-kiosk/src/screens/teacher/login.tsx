import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf, type SessionInfo } from '../../api.js';
import { formatTime, t } from '../../i18n.js';
import { PinPad } from '../../components/pinpad.js';

const LOCK_KEY = 'classedge.panelLockedUntil';

/**
 * Pick your name, type your PIN. The names are listed only on the classroom panel itself; opened
 * from another device on the LAN the server refuses the list (403) and the teacher types the
 * username. Repeated wrong PINs lock the account; the panel shows it until the lock ends.
 */
type Teacher = ResponseOf<'GET /api/v1/teachers'>[number];

export function TeacherLogin({
  pinLength,
  lockoutSeconds,
  itContact,
  onLoggedIn,
}: {
  pinLength: number;
  lockoutSeconds: number;
  /** kiosk.itContact: whom to call about a forgotten PIN. */
  itContact: string;
  onLoggedIn: (s: SessionInfo) => void;
}) {
  const [teachers, setTeachers] = useState<Teacher[] | undefined>(undefined);
  const [who, setWho] = useState<Teacher | undefined>(undefined);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [lockedUntil, setLockedUntil] = useState<number>(() => Number(localStorage.getItem(LOCK_KEY) ?? 0));
  const [now, setNow] = useState(Date.now());
  const [typeName, setTypeName] = useState(false);
  const [typed, setTyped] = useState('');

  useEffect(() => {
    api('GET /api/v1/teachers').then(setTeachers, (err: unknown) => {
      if (err instanceof ApiError && err.status === 403) setTypeName(true);
      else setError(t('common.error', { message: String(err) }));
    });
  }, []);
  useEffect(() => {
    if (lockedUntil <= Date.now()) return undefined;
    const id = window.setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= lockedUntil) {
        localStorage.removeItem(LOCK_KEY);
        setLockedUntil(0);
      }
    }, 1000);
    return () => clearInterval(id);
  }, [lockedUntil]);

  if (lockedUntil > now) {
    return (
      <div class="panel-locked" data-testid="panel-locked" role="alert">
        <div class="lock-icon">🔒</div>
        <h2>{t('locked.title')}</h2>
        <p>{t('locked.body', { time: formatTime(lockedUntil) })}</p>
      </div>
    );
  }

  const submit = async () => {
    if (!who) return;
    try {
      const s = await api('POST /api/v1/session/teacher', { body: { username: who.username, pin } });
      onLoggedIn(s);
    } catch (err) {
      setPin('');
      if (err instanceof ApiError && (err.status === 423 || err.status === 429)) {
        const until = Date.now() + (err.retryAfterS ?? lockoutSeconds) * 1000;
        localStorage.setItem(LOCK_KEY, String(until));
        setLockedUntil(until);
        setNow(Date.now());
        return;
      }
      setError(
        err instanceof ApiError && err.status === 401
          ? t('login.wrongPin')
          : t('common.error', { message: String(err) }),
      );
    }
  };

  if (!who && typeName) {
    const name = typed.trim();
    return (
      <form
        class="login"
        onSubmit={(e) => {
          e.preventDefault();
          if (name) setWho({ username: name, displayName: name });
        }}
      >
        <h2>{t('login.typeName')}</h2>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <input
          class="username-input"
          name="username"
          data-testid="login-username"
          autocomplete="username"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <button type="submit" class="btn big primary">
          {t('login.ok')}
        </button>
      </form>
    );
  }
  if (!who) {
    return (
      <div class="login">
        <h2>{t('login.pickTeacher')}</h2>
        {teachers?.length === 0 && <p class="hint">{t('login.noTeachers')}</p>}
        <div class="teacher-list">
          {teachers?.map((tt) => (
            <button type="button" class="btn big" data-testid={`teacher-${tt.username}`} onClick={() => setWho(tt)}>
              {tt.displayName}
            </button>
          ))}
        </div>
      </div>
    );
  }
  return (
    <div class="login">
      <h2>
        {who.displayName} · {t('login.enterPin')}
      </h2>
      {error && (
        <p class="error" role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <PinPad
        value={pin}
        length={pinLength}
        onChange={(v) => {
          setPin(v);
          setError(undefined);
        }}
        onSubmit={() => void submit()}
      />
      <p class="forgot" data-testid="pin-forgot">
        {itContact ? t('login.forgotContact', { contact: itContact }) : t('login.forgot')}
      </p>
      <button
        type="button"
        class="btn big"
        onClick={() => {
          setWho(undefined);
          setPin('');
          setError(undefined);
        }}
      >
        {t('login.back')}
      </button>
    </div>
  );
}
