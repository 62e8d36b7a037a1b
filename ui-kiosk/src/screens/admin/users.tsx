import { useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { t } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { Field, Select } from '../../components/form.js';
import { errorText, userIssues } from '../../admin-words.js';

type User = ResponseOf<'GET /api/v1/users'>[number];
type Role = User['role'];

/** Accounts: teachers with PINs, admins with passwords. */
export function UsersScreen() {
  const { data, error, reload } = useApiData('GET /api/v1/users');
  // The password and PIN rules, to say them in words when the server refuses a secret.
  const rules = useApiData('GET /api/v1/kiosk').data;
  const [form, setForm] = useState<{ username: string; displayName: string; role: Role; secret: string }>({
    username: '',
    displayName: '',
    role: 'teacher',
    secret: '',
  });
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [resetFor, setResetFor] = useState<string | undefined>(undefined);
  const [resetSecret, setResetSecret] = useState('');
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [confirmDelete, setConfirmDelete] = useState<string | undefined>(undefined);

  // The account rules name /pin or /password; both are the one "secret" field here.
  const toIssues = (err: unknown, username: string) => {
    reportError(err);
    if (err instanceof ApiError && err.issues.length > 0) setIssues(userIssues(err.issues, rules));
    else if (err instanceof ApiError && err.status === 409) setIssues({ username: t('users.exists', { username }) });
    else setNote({ ok: false, text: errorText(err) });
  };
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST /api/v1/users', { body: { ...form, ...(form.displayName ? {} : { displayName: undefined }) } });
      setForm({ username: '', displayName: '', role: form.role, secret: '' });
      setIssues({});
      setNote({ ok: true, text: t('users.saved') });
      reload();
    } catch (err) {
      toIssues(err, form.username);
    }
  };
  // Disabling or deleting ends the account's sessions at once; the server refuses it for the last enabled admin.
  const change = async (method: 'PUT' | 'DELETE', u: User) => {
    try {
      const params = { username: u.username };
      if (method === 'PUT')
        await api('PUT /api/v1/users/:username/disabled', { params, body: { disabled: !u.disabled } });
      else await api('DELETE /api/v1/users/:username', { params });
      setNote({ ok: true, text: t('users.saved') });
      reload();
    } catch (err) {
      reportError(err);
      // The one conflict here: the last enabled admin cannot be disabled or deleted.
      setNote({
        ok: false,
        text:
          err instanceof ApiError && err.status === 409
            ? t('users.lastAdmin', { username: u.username })
            : errorText(err),
      });
    }
  };
  const reset = async (e: Event) => {
    e.preventDefault();
    if (!resetFor) return;
    try {
      await api('PUT /api/v1/users/:username/secret', {
        params: { username: resetFor },
        body: { secret: resetSecret },
      });
      setResetFor(undefined);
      setResetSecret('');
      setNote({ ok: true, text: t('users.saved') });
      reload();
    } catch (err) {
      toIssues(err, resetFor);
    }
  };

  return (
    <div class="page">
      <h2>{t('admin.users')}</h2>
      {error && <p class="error">{t('common.error', { message: error })}</p>}
      {note && (
        <p class={note.ok ? 'ok' : 'error'} role="status" data-testid="users-note">
          {note.text}
        </p>
      )}
      <table class="table" data-testid="users-table">
        <thead>
          <tr>
            <th>{t('admin.username')}</th>
            <th>{t('admin.displayName')}</th>
            <th>{t('users.role')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.map((u) => (
            <tr data-testid={`user-${u.username}`}>
              <td translate={false}>{u.username}</td>
              <td translate={false}>{u.displayName}</td>
              <td>
                {t(u.role === 'admin' ? 'role.admin' : 'role.teacher')}
                {u.lockedUntil !== null && u.lockedUntil > Date.now() ? ` · ${t('users.locked')}` : ''}
                {u.disabled ? ` · ${t('users.disabled')}` : ''}
              </td>
              <td>
                <button type="button" class="btn" onClick={() => setResetFor(u.username)}>
                  {t('users.setSecret')}
                </button>
                <button
                  type="button"
                  class="btn"
                  data-testid={`user-toggle-${u.username}`}
                  onClick={() => void change('PUT', u)}
                >
                  {t(u.disabled ? 'users.enable' : 'users.disable')}
                </button>
                {confirmDelete === u.username ? (
                  <span>
                    <button
                      type="button"
                      class="btn danger"
                      data-testid={`user-confirm-delete-${u.username}`}
                      onClick={() => void change('DELETE', u)}
                    >
                      {t('users.delete')}: {u.username}
                    </button>{' '}
                    <button type="button" class="btn" onClick={() => setConfirmDelete(undefined)}>
                      {t('common.cancel')}
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    class="btn"
                    data-testid={`user-delete-${u.username}`}
                    onClick={() => setConfirmDelete(u.username)}
                  >
                    {t('users.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {resetFor && (
        <form class="form inline" onSubmit={(e) => void reset(e)}>
          <h3>
            {t('users.setSecret')}: {resetFor}
          </h3>
          <Field
            label={t('users.secret')}
            name="reset-secret"
            type="password"
            value={resetSecret}
            onInput={setResetSecret}
            error={issues.secret}
          />
          <button type="submit" class="btn primary">
            {t('settings.save')}
          </button>
        </form>
      )}
      <form class="form inline" data-testid="user-add" onSubmit={(e) => void add(e)}>
        <h3>{t('users.add')}</h3>
        <Field
          label={t('admin.username')}
          name="username"
          value={form.username}
          onInput={(v) => setForm({ ...form, username: v })}
          error={issues.username}
        />
        <Field
          label={t('admin.displayName')}
          name="displayName"
          value={form.displayName}
          onInput={(v) => setForm({ ...form, displayName: v })}
          error={issues.displayName}
        />
        <Select
          label={t('users.role')}
          name="role"
          value={form.role}
          options={['teacher', 'admin']}
          onChange={(v) => setForm({ ...form, role: v })}
          render={(o) => t(o === 'admin' ? 'role.admin' : 'role.teacher')}
        />
        <Field
          label={t('users.secret')}
          name="secret"
          type="password"
          value={form.secret}
          onInput={(v) => setForm({ ...form, secret: v })}
          error={issues.secret}
          autocomplete="new-password"
        />
        <button type="submit" class="btn primary" data-testid="user-add-submit">
          {t('users.add')}
        </button>
      </form>
    </div>
  );
}
