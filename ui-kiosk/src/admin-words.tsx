import { ApiError, type Issue } from './api.js';
import { lang, t } from './i18n.js';
import { isAuditAction } from '../../edge/audit-actions.js';
import type { DeviceKind } from '../../edge/device-kinds.js';
import { DEVICE_ID_SOURCE } from '../../edge/config/device-id-source.js';
import { counterName } from '../../edge/observability/metric-names.js';

/**
 * The admin console's words for what the server says in codes: refused logins, problems with a form's
 * fields, audit actions and actors, device and component kinds, counters. A technical name is only
 * ever shown beside its words (`<Tech>`), never alone.
 */

/** A technical name (an action code, a component kind, a config key) beside the words that say it. */
export function Tech({ code }: { code: string }) {
  return <code class="tech">{code}</code>;
}

/** "3 分钟" / "40 秒": how long to wait, rounded up to whole minutes from a minute on. */
/**
 * A line that mixes words with what the technician configured (a port path, a profile, a
 * component's name): the configured names set as code, so they read as names beside the words.
 */
export function TechText({ text }: { text: string }) {
  const parts = text.split(/((?:\/|\b)[A-Za-z0-9][\w./:@-]*[\w/])/);
  return <>{parts.map((p, i) => (i % 2 === 1 && /[A-Za-z]/.test(p) ? <code>{p}</code> : p))}</>;
}

export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  return s < 60 ? t('admin.wait.seconds', { n: s }) : t('admin.wait.minutes', { n: Math.ceil(s / 60) });
}

/** A failure that is neither a refused login nor a field's problem, in words (the code beside). */
import { errorText } from './error-words.js';
export { errorText };

/**
 * A refused admin login: wrong password, the account locked for a while, too many attempts from this
 * address, or every login slot busy. `lockoutSeconds` stands in when a lock carries no Retry-After.
 */
export function loginErrorText(err: unknown, lockoutSeconds?: number): string {
  if (!(err instanceof ApiError)) return t('admin.error.offline');
  const wait = (fallback?: number): string => waitText(err.retryAfterS ?? fallback ?? 60);
  if (err.status === 401) return t('admin.error.wrongPassword');
  if (err.status === 423) return t('admin.error.locked', { wait: wait(lockoutSeconds) });
  if (err.status === 429 && err.code === 'login_busy') return t('admin.error.busy');
  if (err.status === 429) return t('admin.error.throttled', { wait: wait() });
  if (err.status === 400) return t('admin.error.loginIncomplete');
  return errorText(err);
}

/** What the account rules ask of a password or a PIN, with this appliance's lengths. */
export interface AccountRules {
  passwordMinLength: number;
  pinLength: number;
}

/** The field an issue is about: `/body/username` → `username`. */
const fieldOf = (i: Issue): string => i.path.replace(/^\/body\//, '').replace(/^\//, '');

/** A device id's problem: the rule in words, or that the id is taken by the appliance itself. */
function deviceIdText(value: unknown): string {
  const ok = typeof value === 'string' && new RegExp(DEVICE_ID_SOURCE).test(value);
  return ok ? t('devices.rule.reserved', { id: String(value) }) : t('devices.rule.id');
}

/** The problems the server found in the device form, by field, in words. */
export function deviceIssues(issues: Issue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const f = fieldOf(i);
    if (f === 'id') out.id = deviceIdText(i.value);
    else if (f === 'kind') out.kind = t('devices.rule.kind');
    else if (f === 'description') out.description = t('devices.rule.description');
    else out[''] = t('admin.error.form');
  }
  return out;
}

/**
 * The problems the server found in a user form (add, set secret, first-run setup), by field. The
 * secret is one field here whether the rule was the password's or the PIN's.
 */
export function userIssues(issues: Issue[], rules: AccountRules | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const f = fieldOf(i);
    if (f === 'username') out.username = t('users.rule.username');
    else if (f === 'displayName') out.displayName = t('users.rule.displayName');
    else if (f === 'role') out.role = t('users.rule.role');
    else if (f === 'password')
      out.secret = t('users.rule.password', { n: rules?.passwordMinLength ?? t('users.rule.configured') });
    else if (f === 'pin' || f === 'secret') out.secret = t('users.rule.pin', { n: rules?.pinLength ?? 6 });
    else out[''] = t('admin.error.form');
  }
  return out;
}

/** The roster's columns in words (the CSV header names are what the district's export uses). */
const ROSTER_COLUMNS = [
  'class_id',
  'class_name',
  'student_no',
  'name',
  'card_id',
  'guardian_phone',
  'guardian_consent',
] as const;
type RosterColumn = (typeof ROSTER_COLUMNS)[number];
const isRosterColumn = (c: string): c is RosterColumn => (ROSTER_COLUMNS as readonly string[]).includes(c);
const columnText = (c: RosterColumn): string => `${t(`students.column.${c}`)}（${c}）`;

/** One problem of a refused roster file, in words: its line, its column, and what the column takes. */
export function rosterIssueText(i: Issue): string {
  const at = /^line (\d+)(?:, (\w+))?$/.exec(i.path);
  if (i.path === '(file)')
    return /more not listed/.test(i.expected)
      ? t('students.issue.more', { n: /(\d+) more/.exec(i.expected)?.[1] ?? '?' })
      : t('students.issue.tooBig');
  if (!at) return t('students.issue.other', { where: i.path, expected: i.expected });
  const line = Number(at[1]);
  const col = at[2];
  if (col === undefined) {
    const missing = /"(\w+)"/.exec(i.expected)?.[1];
    if (line === 1 && missing !== undefined && isRosterColumn(missing))
      return t('students.issue.noColumn', { column: columnText(missing) });
    if (line === 1) return t('students.issue.noHeader');
    return t('students.issue.empty');
  }
  if (!isRosterColumn(col)) return t('students.issue.other', { where: i.path, expected: i.expected });
  const value = typeof i.value === 'string' ? i.value : '';
  // A well-formed number or card refused all the same is one already on an earlier line.
  const duplicate =
    (col === 'student_no' && /^[A-Za-z0-9-]{1,32}$/.test(value)) ||
    (col === 'card_id' && /^[A-Fa-f0-9]{4,32}$/.test(value));
  const rule = duplicate ? t('students.issue.duplicate') : t(`students.rule.${col}`);
  return t('students.issue.at', { line, column: columnText(col), rule });
}

/** The Chinese (or English) name of an audit action; undefined for one this version does not know. */
export function actionLabel(action: string): string | undefined {
  return isAuditAction(action) ? t(`audit.action.${action}`) : undefined;
}

/** A known user: how the audit page names them. */
export interface KnownUser {
  username: string;
  displayName: string;
  role: 'admin' | 'teacher';
}

/** Who did it, in words: 教师 王老师 for `user:wang`, 系统 for `system`, 设备 air-front for `device:air-front`. */
export function actorText(actor: string, users: ReadonlyMap<string, KnownUser>): string {
  const colon = actor.indexOf(':');
  const kind = colon < 0 ? actor : actor.slice(0, colon);
  const name = colon < 0 ? '' : actor.slice(colon + 1);
  const person = (role: 'admin' | 'teacher', n: string): string =>
    t(role === 'admin' ? 'audit.actor.admin' : 'audit.actor.teacher', { name: n });
  switch (kind) {
    case 'user':
    case 'admin':
    case 'teacher': {
      const u = users.get(name);
      if (u) return person(u.role, u.displayName);
      return kind === 'user' ? t('audit.actor.user', { name }) : person(kind, name);
    }
    case 'system':
      return t(name === 'shutdown' ? 'audit.actor.shutdown' : 'audit.actor.system');
    case 'broker':
      return t('audit.actor.broker');
    case 'district':
      return t('audit.actor.district');
    case 'timetable':
      return t('audit.actor.timetable');
    case 'room':
      return t(name === 'timetable' ? 'audit.actor.timetable' : 'audit.actor.room');
    case 'cli':
      return t('audit.actor.cli', { name });
    case 'device':
      return t('audit.actor.device', { name });
    case 'mqtt':
      return t('audit.actor.mqtt', { name });
    case 'viewer':
      return t('audit.actor.viewer');
    case 'partner':
      return t('audit.actor.partner');
    case 'demo':
      return t('audit.actor.demo');
    default:
      return t('audit.actor.other');
  }
}

export function resultText(r: 'ok' | 'denied' | 'error'): string {
  return t(`audit.result.${r}`);
}

export function deviceKindLabel(k: DeviceKind): string {
  return t(`devices.kind.${k}`);
}

/** The kinds of component the appliance runs (GET /api/v1/components `kind`), each with its words. */
const COMPONENT_KINDS = [
  'disk-guard',
  'retention-job',
  'mqtt-broker',
  'mqtt-service-client',
  'environment-service',
  'health-service',
  'sync-agent',
  'analysis',
  'system-history',
  'http-server',
  'room-service',
  'media',
  'modbus-bus',
  'modbus-sim',
  'display',
  'display-sim',
  'thermometer',
  'card-reader-serial',
  'door-sim',
  'tasmota-switch',
  'tasmota-sim',
  'tasmota-ir-ac',
  'mqtt-sensor-sim',
  'camera-ffmpeg',
  'camera-vc0706',
  'camera-sim',
  'audio-file',
  'audio-alsa',
] as const;
type ComponentKindName = (typeof COMPONENT_KINDS)[number];
const isComponentKind = (k: string): k is ComponentKindName => (COMPONENT_KINDS as readonly string[]).includes(k);

/** A component kind in words; a kind this version has no words for is called a component (its code beside). */
export function componentKindLabel(kind: string): string {
  return isComponentKind(kind) ? t(`status.kind.${kind}`) : t('status.kind.other');
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export function bytesText(v: number): string {
  if (v >= GiB) return `${(v / GiB).toFixed(1)} GiB`;
  if (v >= MiB) return `${(v / MiB).toFixed(1)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${v} B`;
}

/** One counter as the technician reads it: its label and unit from the shared table, never the raw name alone. */
export function counterText(key: string, v: number): string {
  const l = lang.get();
  const m = counterName(key);
  const value = Number.isInteger(v) ? v.toLocaleString(l) : v.toFixed(1);
  if (!m) return `${t('status.counter.other', { key })} ${value}`;
  if (m.unit.en === 'bytes') return `${m.label[l]} ${bytesText(v)}`;
  const unit = m.unit[l];
  return `${m.label[l]} ${value}${unit ? ` ${unit}` : ''}`;
}
