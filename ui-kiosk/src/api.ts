import type { Static } from '@sinclair/typebox';
import type { BodyInput, EndpointKey, ParamsOf, QueryInput, ResponseOf } from '../../edge/api/contract/index.js';
import type { ErrorBody, SessionBody } from '../../edge/api/schemas.js';
import type { KioskInfoBody } from '../../edge/api/contract/system.js';

/**
 * The kiosk's only way to the appliance's HTTP API: same origin, session cookie, CSRF header. Typed
 * by the server's contract (edge/api/contract, imported for its types only, so nothing of the
 * server is bundled): `api('GET /api/v1/devices')` answers the devices as the route declares them.
 */

export type Issue = NonNullable<Static<typeof ErrorBody>['issues']>[number];
export type SessionInfo = Static<typeof SessionBody>;
export type KioskInfo = Static<typeof KioskInfoBody>;
export type { EndpointKey, ResponseOf };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: Issue[];
  readonly retryAfterS: number | undefined;
  constructor(status: number, body: unknown, retryAfterS?: number) {
    const b = typeof body === 'object' && body !== null ? body : {};
    super('message' in b && typeof b.message === 'string' ? b.message : `HTTP ${status}`);
    this.status = status;
    this.code = 'error' in b && typeof b.error === 'string' ? b.error : 'error';
    this.issues = 'issues' in b && Array.isArray(b.issues) ? b.issues.filter(isIssue) : [];
    this.retryAfterS = retryAfterS;
  }
}

function isIssue(x: unknown): x is Issue {
  return (
    typeof x === 'object' &&
    x !== null &&
    'path' in x &&
    typeof x.path === 'string' &&
    'expected' in x &&
    typeof x.expected === 'string'
  );
}

let csrfToken: string | undefined;

export function setCsrf(token: string | undefined): void {
  csrfToken = token;
}

type Part<Name extends string, T> = [T] extends [undefined]
  ? unknown
  : [keyof T] extends [never]
    ? unknown
    : Record<never, never> extends T
      ? { [P in Name]?: T }
      : { [P in Name]: T };
/** What a call of an endpoint sends: its path parameters, query and body, each where it has one. */
export type RequestOf<K extends EndpointKey> = Part<'params', { [N in keyof ParamsOf<K>]: string | number }> &
  Part<'query', QueryInput<K>> &
  Part<'body', BodyInput<K>>;
export type ApiArgs<K extends EndpointKey> =
  Record<never, never> extends RequestOf<K> ? [request?: RequestOf<K>] : [request: RequestOf<K>];

/** The path of a call: `:name` segments filled in, the query appended. */
export function pathOf(
  key: EndpointKey,
  request?: { params?: Record<string, string | number>; query?: Record<string, unknown> },
): string {
  const path = key
    .slice(key.indexOf(' ') + 1)
    .replace(/:([A-Za-z_]+)/g, (_m, name: string) => encodeURIComponent(String(request?.params?.[name] ?? '')));
  const query = Object.entries(request?.query ?? {}).filter(([, v]) => v !== undefined);
  return query.length ? `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}` : path;
}

export function api<K extends EndpointKey>(key: K, ...args: ApiArgs<K>): Promise<ResponseOf<K>>;
// The one place where JSON from the wire meets the contract's types: test/api/api-contract.test.ts checks
// that every route's real answers match the schema these types are made from.
export async function api(
  key: EndpointKey,
  request?: { params?: Record<string, string | number>; query?: Record<string, unknown>; body?: unknown },
): Promise<unknown> {
  const method = key.slice(0, key.indexOf(' '));
  const headers: Record<string, string> = {};
  if (request?.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(pathOf(key, request), {
    method,
    headers,
    body: request?.body === undefined ? null : JSON.stringify(request.body),
    credentials: 'same-origin',
  });
  const data: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const retry = res.headers.get('retry-after');
    throw new ApiError(res.status, data, retry ? Number(retry) : undefined);
  }
  if (data && typeof data === 'object' && 'csrfToken' in data && typeof data.csrfToken === 'string')
    setCsrf(data.csrfToken);
  return data;
}
