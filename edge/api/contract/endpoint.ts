import type { Static, TObject, TOptional, TProperties, TSchema } from '@sinclair/typebox';

/**
 * The pieces every endpoint of the contract is made of. This folder is the API as data: request and
 * response schemas by `METHOD /path`. The server builds its routes from it (edge/api/route.ts) and
 * the kiosk imports its types, so a module here may import only TypeBox and other modules without
 * Node imports (the kiosk's type check and bundle must not reach server code).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type EndpointKey = `${Method} /api/${string}`;

export interface Endpoint {
  body?: TSchema;
  query?: TObject;
  response: TSchema;
  /** Answered as a document of this type (a CSV or HTML report) whose text is `response`, not as JSON. */
  raw?: string;
}

/**
 * A request field the server fills in when it is left out (Ajv's useDefaults): required in what the
 * handler receives, optional for whoever sends the request.
 */
export type TDefaulted<T extends TSchema> = T & { default: Static<T> };
export function Defaulted<T extends TSchema>(schema: T, value: Static<T>): TDefaulted<T> {
  return Object.assign(schema, { default: value });
}

type Evaluate<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<P extends TProperties> = {
  [K in keyof P]: P[K] extends TOptional<TSchema> ? K : P[K] extends { default: unknown } ? K : never;
}[keyof P];

/** What a caller sends for a schema: like Static, except that defaulted fields may be left out. */
export type Input<T extends TSchema> =
  T extends TObject<infer P>
    ? Evaluate<{ [K in Exclude<keyof P, OptionalKeys<P>>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }>
    : Static<T>;

type ParamNames<P extends string> = P extends `${string}:${infer N}/${infer Rest}`
  ? N | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer N}`
    ? N
    : never;
/** `/api/v1/users/:username/secret` -> `{ username: string }`. */
export type PathParams<K extends string> = { [N in ParamNames<K>]: string };
