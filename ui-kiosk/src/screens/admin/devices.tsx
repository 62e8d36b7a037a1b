import { useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { formatTime, t } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { Field, Select, issuesByField } from '../../components/form.js';
import { DEVICE_KINDS, type DeviceKind } from '../../../../edge/device-kinds.js';

/** Devices: list, add (the MQTT password is shown once), remove. */
export function DevicesScreen() {
  const { data, error, reload } = useApiData('GET /api/v1/devices');
  const [id, setId] = useState('');
  const [kind, setKind] = useState<DeviceKind>('sensor');
  const [description, setDescription] = useState('');
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [creds, setCreds] = useState<ResponseOf<'POST /api/v1/devices'> | undefined>(undefined);
  const [confirm, setConfirm] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);

  const add = async (e: Event) => {
    e.preventDefault();
    try {
      setCreds(await api('POST /api/v1/devices', { body: { id, kind, ...(description ? { description } : {}) } }));
      setIssues({});
      setId('');
      setDescription('');
      reload();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) setIssues(issuesByField(err.issues));
      else setFailure(reportError(err));
    }
  };
  const remove = async (deviceId: string) => {
    try {
      await api('DELETE /api/v1/devices/:id', { params: { id: deviceId } });
      setConfirm(undefined);
      reload();
    } catch (err) {
      setFailure(reportError(err));
    }
  };

  return (
    <div class="page">
      <h2>{t('admin.devices')}</h2>
      {(error ?? failure) && <p class="error">{t('common.error', { message: error ?? failure ?? '' })}</p>}
      {creds && (
        <div class="dialog" role="dialog" data-testid="device-creds">
          <h3>{t('devices.credsTitle', { id: creds.device.id })}</h3>
          <p class="warn">{t('devices.credsOnce')}</p>
          <dl class="creds">
            <dt>{t('admin.username')}</dt>
            <dd data-testid="creds-username">{creds.mqtt.username}</dd>
            <dt>{t('admin.password')}</dt>
            <dd data-testid="creds-password" class="secret">
              {creds.mqtt.password}
            </dd>
            <dt>{t('devices.topicPrefix')}</dt>
            <dd>{creds.mqtt.topicPrefix}</dd>
          </dl>
          <button type="button" class="btn primary" data-testid="creds-done" onClick={() => setCreds(undefined)}>
            {t('devices.done')}
          </button>
        </div>
      )}
      <table class="table" data-testid="devices-table">
        <thead>
          <tr>
            <th>{t('devices.id')}</th>
            <th>{t('devices.kind')}</th>
            <th>{t('devices.description')}</th>
            <th>{t('devices.lastSeen')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.length === 0 && (
            <tr>
              <td colSpan={5}>{t('common.none')}</td>
            </tr>
          )}
          {data?.map((d) => (
            <tr data-testid={`device-${d.id}`}>
              <td>{d.id}</td>
              <td>{d.kind}</td>
              <td>{d.description}</td>
              <td>{d.lastSeenAt ? formatTime(d.lastSeenAt) : '-'}</td>
              <td>
                {confirm === d.id ? (
                  <span>
                    {t('devices.confirmRemove', { id: d.id })}{' '}
                    <button
                      type="button"
                      class="btn danger"
                      data-testid={`confirm-remove-${d.id}`}
                      onClick={() => void remove(d.id)}
                    >
                      {t('devices.remove')}
                    </button>{' '}
                    <button type="button" class="btn" onClick={() => setConfirm(undefined)}>
                      {t('common.cancel')}
                    </button>
                  </span>
                ) : (
                  <button type="button" class="btn" data-testid={`remove-${d.id}`} onClick={() => setConfirm(d.id)}>
                    {t('devices.remove')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="form inline" data-testid="device-add" onSubmit={(e) => void add(e)}>
        <h3>{t('devices.add')}</h3>
        <Field
          label={t('devices.id')}
          name="id"
          value={id}
          onInput={setId}
          error={issues.id}
          attrs={{ pattern: '[a-z0-9][a-z0-9-]{1,62}', required: 'required' }}
        />
        <Select
          label={t('devices.kind')}
          name="kind"
          value={kind}
          options={DEVICE_KINDS}
          onChange={setKind}
          error={issues.kind}
        />
        <Field
          label={t('devices.description')}
          name="description"
          value={description}
          onInput={setDescription}
          error={issues.description}
        />
        <button type="submit" class="btn primary" data-testid="device-add-submit">
          {t('devices.add')}
        </button>
      </form>
    </div>
  );
}
