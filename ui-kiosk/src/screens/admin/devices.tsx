import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { formatTime, t } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { Field, Select } from '../../components/form.js';
import { DEVICE_KINDS, type DeviceKind } from '../../../../edge/device-kinds.js';
import { DEVICE_ID_HTML_PATTERN } from '../../../../edge/config/device-id-source.js';
import { Tech, TechText, deviceIssues, deviceKindLabel, errorText } from '../../admin-words.js';
import { configuredDevices, type ConfiguredDevice } from './configured-devices.js';

/** How often the configured devices' states are asked for again while the page is open. */
const REFRESH_MS = 5000;

/**
 * Devices: those that connect over MQTT (list, add with the password shown once, remove), then those
 * configured in the settings file (Modbus sensors and relay boards, panels, thermometers, …) with
 * their state, read-only.
 */
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
      setFailure(undefined);
      setId('');
      setDescription('');
      reload();
    } catch (err) {
      reportError(err);
      if (err instanceof ApiError && err.issues.length > 0) setIssues(deviceIssues(err.issues));
      else if (err instanceof ApiError && err.status === 409) setIssues({ id: t('devices.exists', { id }) });
      else setFailure(errorText(err));
    }
  };
  const remove = async (deviceId: string) => {
    try {
      await api('DELETE /api/v1/devices/:id', { params: { id: deviceId } });
      setConfirm(undefined);
      reload();
    } catch (err) {
      reportError(err);
      setFailure(errorText(err));
    }
  };

  return (
    <div class="page">
      <h2>{t('admin.devices')}</h2>
      {(error ?? failure) && <p class="error">{failure ?? t('common.error', { message: error ?? '' })}</p>}
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
      <h3>{t('devices.mqtt')}</h3>
      <p class="hint">{t('devices.mqttHelp')}</p>
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
              <td translate={false}>{d.id}</td>
              <td>
                {deviceKindLabel(d.kind)} <Tech code={d.kind} />
              </td>
              <td translate={false}>{d.description}</td>
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
          hint={t('devices.rule.id')}
          attrs={{ pattern: DEVICE_ID_HTML_PATTERN, required: 'required', maxLength: 63 }}
        />
        <Select
          label={t('devices.kind')}
          name="kind"
          value={kind}
          options={DEVICE_KINDS}
          onChange={setKind}
          error={issues.kind}
          render={(k) => `${deviceKindLabel(k)}（${k}）`}
        />
        <Field
          label={t('devices.description')}
          name="description"
          value={description}
          onInput={setDescription}
          error={issues.description}
        />
        {issues[''] && <p class="error">{issues['']}</p>}
        <button type="submit" class="btn primary" data-testid="device-add-submit">
          {t('devices.add')}
        </button>
      </form>
      <ConfiguredDevices />
    </div>
  );
}

function stateClass(d: ConfiguredDevice): string {
  if (d.state === 'online') return 'ok';
  if (d.state === 'offline' || d.state === 'failed' || d.state === 'degraded') return 'warn';
  return 'muted';
}

/** The devices of the configured components, each with its state in words; read-only. */
function ConfiguredDevices() {
  const config = useApiData('GET /api/v1/config');
  const saved = useApiData('GET /api/v1/config/saved');
  const comps = useApiData('GET /api/v1/components');
  const buses = useApiData('GET /api/v1/modbus');
  const displays = useApiData('GET /api/v1/displays');
  const room = useApiData('GET /api/v1/room');
  const reloads = [comps.reload, buses.reload, displays.reload, room.reload];
  useEffect(() => {
    const timer = setInterval(() => reloads.forEach((r) => r()), REFRESH_MS);
    return () => clearInterval(timer);
  }, reloads);
  const rows = config.data
    ? configuredDevices(config.data.components, {
        components: comps.data ?? [],
        buses: buses.data ?? [],
        displays: displays.data ?? [],
        switches: room.data?.switches ?? [],
      })
    : [];
  return (
    <section data-testid="configured-devices">
      <h3>{t('devices.configured')}</h3>
      {saved.data && (
        <p class="hint">
          <TechText text={t('devices.configuredHelp', { file: saved.data.file })} />
        </p>
      )}
      {config.data && rows.length === 0 && <p class="hint">{t('devices.noneConfigured')}</p>}
      {rows.length > 0 && (
        <table class="table configured-table">
          <thead>
            <tr>
              <th>{t('devices.col.device')}</th>
              <th>{t('devices.kind')}</th>
              <th>{t('devices.col.connection')}</th>
              <th>{t('devices.col.state')}</th>
              <th>{t('devices.col.detail')}</th>
              <th>{t('devices.col.config')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr data-testid={`configured-${d.id}`} data-state={d.state} data-kind={d.kind}>
                <td class="nowrap" translate={false}>
                  {d.id}
                </td>
                <td>
                  <div class="nowrap">{t(`devices.cfg.${d.kind}`)}</div>
                  {d.model && (
                    <div class="muted">
                      <TechText text={d.model} />
                    </div>
                  )}
                </td>
                <td>
                  <TechText text={d.connection} />
                </td>
                <td class={`device-state ${stateClass(d)}`} data-testid={`configured-state-${d.id}`}>
                  <span>{t(`devices.state.${d.state}`)}</span>
                </td>
                <td>
                  {d.detail.map((line) => (
                    <div class="muted">
                      <TechText text={line} />
                    </div>
                  ))}
                </td>
                <td>
                  <TechText text={t('devices.configAt', { name: d.component, n: d.index + 1 })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
