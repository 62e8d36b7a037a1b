import type { TObject, TSchema } from '@sinclair/typebox';
import type { Session } from '../store/repos/sessions.js';
import type { ApiContext } from './context.js';
import {
  endpoints,
  type BodyOf,
  type EndpointKey,
  type Endpoints,
  type ParamsOf,
  type QueryOf,
  type ResponseOf,
} from './contract/index.js';
import type { Endpoint } from './contract/endpoint.js';

export type Access = 'public' | 'teacher' | 'admin';

/** A handler's answer that is not JSON (a CSV or HTML report). */
export class RawResponse {
  constructor(
    readonly contentType: string,
    readonly body: string,
    readonly filename?: string,
  ) {}
}

export interface ApiRequest<B = unknown, Q = unknown, P = Record<string, string>> {
  body: B;
  query: Q;
  params: P;
  /** Present on every route whose access is not 'public'. */
  session: Session | undefined;
  ip: string;
  /** The Host header as sent, and whether the request came over TLS (the join link's address). */
  host: string | undefined;
  secure: boolean;
  /** Set a cookie-bearing session on the response (login), or clear it (logout). */
  setSessionCookie(token: string | null): void;
  setHeader(name: string, value: string): void;
  /** Override the success status (e.g. 503 from health). */
  setStatus(code: number): void;
}

/** What the handler of an endpoint must answer: its response schema's type, or the raw document it declares. */
export type ReplyOf<K extends EndpointKey> = Endpoints[K] extends { raw: string } ? RawResponse : ResponseOf<K>;

/** The part of a route the contract does not say: who may call it, its documentation, its handler. */
export interface RouteSpec<K extends EndpointKey> {
  summary: string;
  tag: string;
  access: Access;
  status?: 200 | 201 | 204;
  handler(req: ApiRequest<BodyOf<K>, QueryOf<K>, ParamsOf<K>>, ctx: ApiContext): ReplyOf<K> | Promise<ReplyOf<K>>;
}

/**
 * One route as the server registers it and the OpenAPI document lists it. Built only by `route()`,
 * which checks the handler against the endpoint's schemas; the table holds routes of different
 * endpoints, so here the handler's input is what the server validated.
 */
export interface RouteDef {
  key: EndpointKey;
  method: (typeof METHODS)[number];
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body: TSchema | undefined;
  query: TObject | undefined;
  response: TSchema;
  raw: string | undefined;
  status: 200 | 201 | 204 | undefined;
  handler(req: ApiRequest, ctx: ApiContext): unknown;
}

const METHODS = ['get', 'post', 'put', 'delete'] as const;

/** The route of one endpoint of the contract (edge/api/contract): its schemas come from there. */
export function route<K extends EndpointKey>(key: K, spec: RouteSpec<K>): RouteDef {
  const e: Endpoint = endpoints[key];
  const method = METHODS.find((m) => key.startsWith(`${m.toUpperCase()} `));
  if (!method) throw new Error(`route ${key}: no method`);
  return {
    key,
    method,
    path: key.slice(method.length + 1),
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    body: e.body,
    query: e.query,
    response: e.response,
    raw: e.raw,
    status: spec.status,
    handler: spec.handler,
  };
}
