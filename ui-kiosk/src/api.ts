/** The kiosk's only way to the appliance's HTTP API: same origin, session cookie, CSRF header. */

export interface Issue {
  path: string;
  expected: string;
  value?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: Issue[];
  readonly retryAfterS: number | undefined;
  constructor(status: number, body: { error?: string; message?: string; issues?: Issue[] }, retryAfterS?: number) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.error ?? 'error';
    this.issues = body.issues ?? [];
    this.retryAfterS = retryAfterS;
  }
}

let csrfToken: string | undefined;

export function setCsrf(token: string | undefined): void {
  csrfToken = token;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), credentials: 'same-origin' });
  const data = (await res.json().catch(() => ({}))) as T & { csrfToken?: string };
  if (!res.ok) {
    const retry = res.headers.get('retry-after');
    throw new ApiError(res.status, data as never, retry ? Number(retry) : undefined);
  }
  if (data && typeof data === 'object' && 'csrfToken' in data && typeof data.csrfToken === 'string') setCsrf(data.csrfToken);
  return data;
}

export interface SessionInfo {
  authenticated: boolean;
  setupRequired: boolean;
  user?: { username: string; displayName: string; role: 'admin' | 'teacher' };
  csrfToken?: string;
}

export interface KioskInfo {
  applianceName: string;
  version: string;
  idleLockSeconds: number;
  defaultLanguage: string;
  pinLength: number;
}
