import type { Static, TSchema } from '@sinclair/typebox';
import type { Input, PathParams } from './endpoint.js';
import { systemEndpoints } from './system.js';
import { sessionEndpoints } from './session.js';
import { dataEndpoints } from './data.js';
import { environmentEndpoints } from './environment.js';
import { displayEndpoints } from './display.js';
import { healthEndpoints } from './health.js';
import { syncEndpoints } from './sync.js';
import { lessonEndpoints } from './lessons.js';
import { mediaEndpoints } from './media.js';
import { observabilityEndpoints } from './observability.js';
import { roomEndpoints } from './room.js';

export type { Endpoint, Input, Method, PathParams } from './endpoint.js';

/**
 * Every endpoint of the appliance's HTTP API by `METHOD /path`: the one contract. The server
 * registers exactly these (edge/api/route.ts), the OpenAPI document is generated from them, a test
 * checks every real answer against them, and the kiosk's client is typed by them.
 */
export const endpoints = {
  ...systemEndpoints,
  ...sessionEndpoints,
  ...dataEndpoints,
  ...environmentEndpoints,
  ...displayEndpoints,
  ...healthEndpoints,
  ...syncEndpoints,
  ...lessonEndpoints,
  ...mediaEndpoints,
  ...observabilityEndpoints,
  ...roomEndpoints,
};

export type Endpoints = typeof endpoints;
export type EndpointKey = keyof Endpoints;

type SchemaOf<K extends EndpointKey, F extends 'body' | 'query'> = Endpoints[K] extends {
  [P in F]: infer S extends TSchema;
}
  ? S
  : undefined;

/** The answer of an endpoint (the JSON body; the text of a raw document). */
export type ResponseOf<K extends EndpointKey> = Static<Endpoints[K]['response']>;
/** The body and query as the handler receives them: validated, defaults filled in. */
export type BodyOf<K extends EndpointKey> = SchemaOf<K, 'body'> extends infer S extends TSchema ? Static<S> : undefined;
export type QueryOf<K extends EndpointKey> =
  SchemaOf<K, 'query'> extends infer S extends TSchema ? Static<S> : undefined;
/** The body and query as a caller sends them: defaulted fields may be left out. */
export type BodyInput<K extends EndpointKey> =
  SchemaOf<K, 'body'> extends infer S extends TSchema ? Input<S> : undefined;
export type QueryInput<K extends EndpointKey> =
  SchemaOf<K, 'query'> extends infer S extends TSchema ? Input<S> : undefined;
export type ParamsOf<K extends EndpointKey> = PathParams<K>;
