/**
 * Group `core`: plain proxying, sessiongate's default config against the other Node.js proxies, the undici
 * pass-through reference and the backend itself. The target: sessiongate ≥ 1.3× the req/s of
 * http-proxy and of @fastify/http-proxy, p99 no worse, in both scenarios.
 */
import { beatsPeers } from '../lib/goals.js';
import type { Scenario, TargetDef } from '../lib/types.js';
import { backend, direct } from '../targets/backend.js';
import { fastifyHttpProxy, httpProxy, undiciPassThrough } from '../targets/peers.js';
import { sessiongate } from '../targets/sessiongate.js';

const targets: TargetDef[] = [direct, sessiongate(), httpProxy, fastifyHttpProxy, undiciPassThrough];

const UPLOAD_SIZE = 16 * 1024;

export const coreGet: Scenario = {
  id: 'core-get',
  group: 'core',
  title: 'GET, 100-byte response',
  description: 'Small GETs: the per-request cost of each proxy (parsing, routing, header rewriting, pooling).',
  support: { backend },
  targets,
  load: {
    description: 'GET /small, the backend answers 200 with a 100-byte JSON body',
    method: 'GET',
    path: '/small',
    check: { status: 200, body: (text) => (text.length === 100 ? null : `expected a 100-byte body, got ${text.length} bytes`) },
  },
  goal: beatsPeers(1.3),
};

export const corePost: Scenario = {
  id: 'core-post',
  group: 'core',
  title: 'POST, 16 KiB request body',
  description: 'Uploads: the request body streams through the proxy; the backend reads all of it and answers a small body.',
  support: { backend },
  targets,
  load: {
    description: `POST /upload with a ${UPLOAD_SIZE / 1024} KiB body (Content-Length), the backend reads it all and answers 200 {"received":${UPLOAD_SIZE}}`,
    method: 'POST',
    path: '/upload',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(UPLOAD_SIZE, 'a'),
    check: { status: 200, body: (text) => (text === `{"received":${UPLOAD_SIZE}}` ? null : `backend did not get the whole body: ${text.slice(0, 100)}`) },
  },
  goal: beatsPeers(1.3),
};
