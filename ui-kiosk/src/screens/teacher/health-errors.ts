import { ApiError } from '../../api.js';
import { sessionLost } from '../../hooks.js';
import { formatClock, t } from '../../i18n.js';

/** What the 晨检 screen was doing when the appliance refused: the same status means different things. */
export type HealthAction = 'day' | 'measure' | 'save' | 'absence' | 'signal' | 'print';

/** "30..43" in the server's words for a range (the service's and the thermometer's). */
const RANGE = /(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)/;
const oneDecimal = (v: number): string => String(Math.round(v * 10) / 10);

/**
 * A refusal of the appliance in the teacher's words, for the fields and actions of the 晨检 screen:
 * never a JSON path, a setting's name or the server's English sentence. `remeasureDueAt` is when the
 * selected student's fever may be measured again (a re-measure sent too early says when).
 */
export function healthError(err: unknown, action: HealthAction, remeasureDueAt?: number | null): string {
  // fetch() rejects with a TypeError when the appliance cannot be reached at all.
  if (!(err instanceof ApiError)) return t('health.err.offline');
  if (err.status === 401) {
    sessionLost.set(true);
    return t('health.err.session');
  }
  if (err.status === 403) return t('health.err.forbidden');
  for (const issue of err.issues) {
    const field = issue.path.replace(/^\/(body|query)(?=\/)/, '');
    const value = typeof issue.value === 'number' ? issue.value : undefined;
    if (field === '/tempRawC' || field === '/objectC') {
      if (value === undefined) return t('health.err.tempNumber');
      const range = RANGE.exec(issue.expected);
      return range
        ? t('health.err.tempRange', { value: oneDecimal(value), min: range[1] ?? '', max: range[2] ?? '' })
        : t('health.err.tempImplausible', { value: oneDecimal(value) });
    }
    if (field === '/ambientC')
      return value === undefined ? t('health.err.input') : t('health.err.ambient', { value: oneDecimal(value) });
    if (field === '/at') return t('health.err.clock');
    if (field.startsWith('/symptoms')) return t('health.err.symptoms');
  }
  if (err.status === 400) return t('health.err.input');
  if (err.status === 404) {
    if (action === 'measure') return t('health.err.noThermometer');
    if (action === 'day' || action === 'print') return t('health.noRoster');
    if (action === 'signal') return t('health.err.noSignal');
    return t('health.err.noStudent');
  }
  if (err.status === 409 && action === 'save')
    return remeasureDueAt
      ? t('health.err.tooEarly', { time: formatClock(remeasureDueAt) })
      : t('health.err.tooEarlyNoTime');
  if (err.status === 504) return t('health.err.thermometer');
  return t('health.err.server');
}
