import { ApiError } from './api.js';
import { t } from './i18n.js';

/**
 * A failed request in words, for the teacher panel and the admin console alike: what happened and
 * what to do, never the server's English sentence (that is in the log and on 系统状态).
 */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('admin.error.offline');
  if (err.status === 401) return t('admin.error.sessionEnded');
  if (err.status === 403) return t('admin.error.forbidden');
  if (err.status === 404) return t('admin.error.notFound');
  if (err.status >= 500) return t('admin.error.server', { code: err.status });
  return t('admin.error.other', { code: `${err.status} ${err.code}` });
}
