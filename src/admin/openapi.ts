/**
 * The OpenAPI 3.1 document of the admin API, generated from the route table: the same zod declarations
 * that validate queries and bodies and describe responses. Served at `GET /v1/openapi.json`; a test calls
 * every route and validates each answer against it.
 */
import { z } from 'zod';
import { VERSION } from '../version.js';
import type { Route } from './route.js';

const ErrorDocument = z.object({ errors: z.array(z.object({ detail: z.string() })).min(1) });

const schema = (t: z.ZodType): unknown => z.toJSONSchema(t, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' });
const inputSchema = (t: z.ZodType): unknown => z.toJSONSchema(t, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: unknown;
}

export function openApiDocument(routes: readonly Route[]): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([a-z_]+)/g, '{$1}');
    const parameters: Parameter[] = [];
    for (const m of route.path.matchAll(/:([a-z_]+)/g)) parameters.push({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } });
    if (route.method === 'GET' && route.path.startsWith('/v1/') && route.response) {
      parameters.push({ name: 'fields', in: 'query', required: false, description: 'Comma-separated fields to keep; nested ones as parent/child.', schema: { type: 'string' } });
    }
    if (route.list) {
      parameters.push({ name: 'range', in: 'query', required: false, description: 'START-END: items START through END, inclusive, counted from 0.', schema: { type: 'string', pattern: '^\\d+-\\d+$' } });
    }
    if (route.query) {
      const q = inputSchema(route.query) as { properties?: Record<string, { description?: string }>; required?: string[] };
      for (const [name, s] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, ...(s.description ? { description: s.description } : {}), schema: s });
      }
    }
    const status = String(route.status ?? 200);
    const ok: Record<string, unknown> = { description: 'OK' };
    if (route.response) ok.content = { 'application/json': { schema: schema(route.response) } };
    else if (route.path === '/metrics') ok.content = { 'text/plain': { schema: { type: 'string' } } };
    else if (route.path.endsWith('/stream')) ok.content = { 'text/event-stream': { schema: { type: 'string' } } };
    else if (status !== '204') ok.content = { 'application/json': { schema: {} } };
    if (route.list) ok.headers = { 'X-Total-Count': { description: 'Items in the whole list.', schema: { type: 'integer' } } };
    const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    const responses: Record<string, unknown> = { [status]: ok, '400': error('Malformed parameter or body'), '401': error('Authentication required') };
    if (route.path.includes(':')) responses['404'] = error('No such resource');
    const op: Record<string, unknown> = {
      summary: route.summary,
      ...(route.description !== undefined ? { description: route.description } : {}),
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:.](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      parameters,
      responses,
    };
    if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: inputSchema(route.body) } } };
    (paths[path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sessiongate admin API',
      version: VERSION,
      description: 'Sessions, upstream contexts, exchanges (the live HTTP sessions table), services, servers, listeners, client connections, metrics.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: schema(ErrorDocument) },
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
    security: [{}, { basic: [] }],
  };
}
