import type { TSchema, Static } from '@sinclair/typebox';
import type { Session } from '../store/repos/sessions.js';
import type { ApiContext } from './context.js';

export type Access = 'public' | 'teacher' | 'admin';

/** A handler's answer that is not JSON (a CSV or HTML report). */
export class RawResponse {
  constructor(
    readonly contentType: string,
    readonly body: string,
    readonly filename?: string,
  ) {}
}

export interface ApiRequest<B = unknown, Q = unknown> {
  body: B;
  query: Q;
  params: Record<string, string>;
  /** Present on every route whose access is not 'public'. */
  session: Session | undefined;
  ip: string;
  /** Set a cookie-bearing session on the response (login), or clear it (logout). */
  setSessionCookie(token: string | null): void;
  setHeader(name: string, value: string): void;
  /** Override the success status (e.g. 503 from health). */
  setStatus(code: number): void;
}

/**
 * One route: its method, path, who may call it, its schemas and its handler. The server registers
 * handlers from this table and the OpenAPI document is generated from the same table, so the
 * document cannot drift from the routes.
 */
export interface RouteDef<B extends TSchema | undefined = TSchema | undefined, Q extends TSchema | undefined = TSchema | undefined> {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: B;
  query?: Q;
  response: TSchema;
  status?: 200 | 201 | 204;
  handler(
    req: ApiRequest<B extends TSchema ? Static<B> : undefined, Q extends TSchema ? Static<Q> : undefined>,
    ctx: ApiContext,
  ): unknown;
}

export function route<B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined>(r: RouteDef<B, Q>): RouteDef {
  return r as unknown as RouteDef;
}
