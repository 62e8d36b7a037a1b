import type { Static } from '@sinclair/typebox';
import type {
  ApplianceAnswer as ApplianceAnswerSchema,
  EnvironmentAnswer as EnvironmentAnswerSchema,
  FleetAnswer as FleetAnswerSchema,
  HealthDaysAnswer as HealthDaysSchema,
  LessonGroupsAnswer as LessonGroupsSchema,
  Me as MeSchema,
  RolloutsAnswer as RolloutsSchema,
  SignalsAnswer as SignalsSchema,
} from '../../../cloud-sync/server/console/contract.js';

/**
 * The console pages' only way to the district console's API (same origin, session cookie), typed by
 * the server's contract (imported for its types only: nothing of the server is bundled).
 */
export type Me = Static<typeof MeSchema>;
export type FleetAnswer = Static<typeof FleetAnswerSchema>;
export type ApplianceAnswer = Static<typeof ApplianceAnswerSchema>;
export type FleetItem = FleetAnswer['appliances'][number];
export type HealthDaysAnswer = Static<typeof HealthDaysSchema>;
export type SignalsAnswer = Static<typeof SignalsSchema>;
export type HealthSignal = SignalsAnswer['signals'][number];
export type LessonGroupsAnswer = Static<typeof LessonGroupsSchema>;
export type RolloutsAnswer = Static<typeof RolloutsSchema>;
export type RolloutItem = RolloutsAnswer['rollouts'][number];
export type EnvironmentAnswer = Static<typeof EnvironmentAnswerSchema>;
export type EnvironmentFigures = EnvironmentAnswer['schools'][number]['today'];

export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await fetch(`/console/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const json: unknown = await r.json().catch(() => ({}));
  if (!r.ok) {
    const b = (typeof json === 'object' && json !== null ? json : {}) as { error?: unknown; message?: unknown };
    throw new ConsoleApiError(
      r.status,
      typeof b.error === 'string' ? b.error : 'error',
      typeof b.message === 'string' ? b.message : `HTTP ${r.status}`,
    );
  }
  return json as T;
}

export const consoleApi = {
  me: () => call<Me>('GET', '/me'),
  login: (username: string, password: string) => call<Me>('POST', '/login', { username, password }),
  logout: () => call<{ ok: true }>('POST', '/logout', {}),
  fleet: (q: { school?: string; status?: string; search?: string }) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return call<FleetAnswer>('GET', `/fleet${p.size ? `?${p}` : ''}`);
  },
  appliance: (id: string) => call<ApplianceAnswer>('GET', `/appliances/${encodeURIComponent(id)}`),
  rollouts: () => call<RolloutsAnswer>('GET', '/rollouts'),
  haltRollout: (id: number, reason: string) => call<RolloutsAnswer>('POST', `/rollouts/${id}/halt`, { reason }),
  healthDays: (from: string, to: string) =>
    call<HealthDaysAnswer>('GET', `/health/days?${new URLSearchParams({ from, to })}`),
  lessonGroups: (from: string, to: string) =>
    call<LessonGroupsAnswer>('GET', `/research/lessons?${new URLSearchParams({ from, to })}`),
  environment: (q: { day: string; from?: string; to?: string }) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return call<EnvironmentAnswer>('GET', `/environment?${p}`);
  },
  signals: (from: string) => call<SignalsAnswer>('GET', `/health/signals?${new URLSearchParams({ from })}`),
  noteSignal: (appliance: string, signal: string, note: string) =>
    call<{ ok: true }>('POST', `/health/signals/${encodeURIComponent(appliance)}/${encodeURIComponent(signal)}/notes`, {
      note,
    }),
};
