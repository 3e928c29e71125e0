import { connect, type Socket } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startLoginBackend, type LoginBackend } from '../helpers/login-backend.js';

interface Operation {
  parameters: { name: string; in: string; required: boolean }[];
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  requestBody?: unknown;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

let backend: LoginBackend;
let g: TestGateway;
let doc: OpenApi;
const sockets: Socket[] = [];

beforeAll(async () => {
  backend = await startLoginBackend();
  g = await startGateway([backend.url], {
    service: {
      session: { mode: 'cookie', user_from: 'header' },
      upstream: { reuse: 'session', auth: { type: 'login', path: '/login', body: '{"user":"api","password":"api-pw"}' } },
    },
    config: { admin: { listen: '127.0.0.1:0' } },
  });
  for (let i = 0; i < 3; i++) await (await request(`${g.url}/data/${i}`, { headers: { 'x-user': 'ann' } })).body.text();
  // An open client connection for /v1/connections/{id}.
  const s = connect(g.port, '127.0.0.1');
  sockets.push(s);
  await new Promise<void>((r) => s.on('connect', () => r()));
  s.write('GET /data/keep HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  doc = (await (await fetch(`${g.adminUrl}/v1/openapi.json`)).json()) as OpenApi;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await g.stop();
  await backend.close();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });

async function paramsFor(path: string): Promise<string> {
  const list = async <T>(p: string) => (await (await fetch(`${g.adminUrl}${p}`)).json()) as T[];
  let out = path;
  if (path.includes('/sessions/{id}')) out = out.replace('{id}', (await list<{ id: string }>('/v1/sessions'))[0]!.id);
  if (path.includes('/exchanges/{id}')) out = out.replace('{id}', String((await list<{ id: number }>('/v1/exchanges'))[0]!.id));
  if (path.includes('/connections/{id}')) out = out.replace('{id}', String((await list<{ id: number }>('/v1/connections'))[0]!.id));
  if (path.includes('/services/{name}')) out = out.replace('{name}', 'svc');
  if (path.includes('/servers/{name}')) out = out.replace('{name}', 's1');
  if (path.includes('/listeners/{name}')) out = out.replace('{name}', 'main');
  return out;
}

function validate(schema: object, body: unknown, where: string): void {
  const check = ajv.compile(schema);
  if (!check(body)) throw new Error(`${where}: response does not match its documented schema: ${ajv.errorsText(check.errors)}`);
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every route of the route table', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
    for (const op of ['GET /v1/sessions', 'GET /v1/sessions/{id}', 'GET /v1/sessions/{id}/connections', 'DELETE /v1/sessions/{id}', 'DELETE /v1/sessions', 'GET /v1/exchanges', 'GET /v1/exchanges/{id}', 'GET /v1/exchanges.har', 'GET /v1/exchanges/stream', 'DELETE /v1/exchanges', 'GET /v1/exchange-log', 'PATCH /v1/exchange-log', 'GET /v1/services', 'GET /v1/servers', 'GET /v1/listeners', 'GET /v1/connections', 'GET /v1/gateway', 'GET /metrics', 'GET /v1/openapi.json']) {
      expect(ops, op).toContain(op);
    }
    for (const s of Object.values(doc.components.schemas)) ajv.compile(s);
  });

  it('every documented GET answers as documented', async () => {
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      const op = methods.get;
      if (!op) continue;
      const url = `${g.adminUrl}${await paramsFor(path)}`;
      if (path.endsWith('/stream')) {
        const res = await request(url);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.body.destroy();
        continue;
      }
      const res = await fetch(url);
      expect(res.status, path).toBe(200);
      const content = op.responses['200']!.content!;
      const type = Object.keys(content)[0]!;
      expect(res.headers.get('content-type'), path).toContain(type);
      if (type === 'application/json') {
        const body: unknown = await res.json();
        validate(content[type]!.schema, body, `GET ${path}`);
        if (op.parameters.some((p) => p.name === 'range')) {
          expect(res.headers.get('x-total-count'), path).toMatch(/^\d+$/);
          const ranged = await fetch(`${url}${url.includes('?') ? '&' : '?'}range=0-0`);
          const items = (await ranged.json()) as unknown[];
          expect(items.length, path).toBeLessThanOrEqual(1);
          validate(content[type]!.schema, items, `GET ${path}?range=0-0`);
        }
      } else {
        expect((await res.text()).length).toBeGreaterThan(0);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('documented writes answer as documented, and errors use the Error schema', async () => {
    const errorSchema = doc.components.schemas.Error!;
    const patch = doc.paths['/v1/exchange-log']!.patch!;
    const ok = await fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ threshold_percent: 20 }) });
    expect(ok.status).toBe(200);
    validate(patch.responses['200']!.content!['application/json']!.schema, await ok.json(), 'PATCH /v1/exchange-log');
    const bad = await fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"threshold_percent":"high"}' });
    expect(bad.status).toBe(400);
    validate(errorSchema, await bad.json(), 'PATCH 400');
    const drain = await fetch(`${g.adminUrl}/v1/servers/s1`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"state":"draining"}' });
    validate(doc.paths['/v1/servers/{name}']!.patch!.responses['200']!.content!['application/json']!.schema, await drain.json(), 'PATCH server');
    await fetch(`${g.adminUrl}/v1/servers/s1`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"state":"up"}' });
    const missing = await fetch(`${g.adminUrl}/v1/sessions/999999`);
    expect(missing.status).toBe(404);
    validate(errorSchema, await missing.json(), 'GET 404');
    for (const path of ['/v1/connections/{id}', '/v1/sessions/{id}', '/v1/exchanges']) {
      const res = await fetch(`${g.adminUrl}${await paramsFor(path)}`, { method: 'DELETE' });
      expect(res.status, path).toBe(204);
    }
    const byUser = await fetch(`${g.adminUrl}/v1/sessions?user=nobody`, { method: 'DELETE' });
    expect(byUser.status).toBe(204);
  });
});
