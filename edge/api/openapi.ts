import type { RouteDef } from './route.js';
import { ErrorBody } from './schemas.js';

/** Express `/a/:id` -> OpenAPI `/a/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** The OpenAPI 3.1 document, generated from the same route table the server registers. */
export function buildOpenApi(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = openApiPath(r.path);
    const params: { name: string; in: 'path' | 'query'; required: boolean; schema: unknown }[] = [
      ...r.path.matchAll(/:([A-Za-z_]+)/g),
    ].map((m) => ({
      name: m[1] ?? '',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    for (const [name, schema] of Object.entries(r.query?.properties ?? {})) {
      // A field with a default may be left out: the server fills it in.
      params.push({
        name,
        in: 'query',
        required: (r.query?.required ?? []).includes(name) && schema.default === undefined,
        schema,
      });
    }
    const status = String(r.status ?? 200);
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      security: r.access === 'public' ? [] : [{ session: [] }],
      'x-access': r.access,
      parameters: params,
      responses: {
        [status]: { description: 'Success', content: { [r.raw ?? 'application/json']: { schema: r.response } } },
        '400': {
          description: 'Invalid input; every problem is listed',
          content: { 'application/json': { schema: ErrorBody } },
        },
        ...(r.access === 'public'
          ? {}
          : {
              '401': { description: 'Not logged in' },
              '403': { description: 'Not allowed for this role, or CSRF token missing' },
            }),
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.body } } };
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ClassEdge appliance API',
      version,
      description:
        'HTTP API of the ClassEdge classroom appliance. Sessions are HttpOnly cookies from the login routes; state-changing requests need the X-CSRF-Token header from GET /api/v1/session. Live events: WebSocket /api/v1/live.',
    },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'classedge_session' } } },
    paths,
  };
}
