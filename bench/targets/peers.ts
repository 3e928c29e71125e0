/** The other Node.js proxies sessiongate is compared with, each in bench/servers/. */
import { benchServer } from '../lib/servers.js';
import type { TargetDef } from '../lib/types.js';
import { backendOf } from './backend.js';

export const httpProxy: TargetDef = {
  name: 'http-proxy',
  role: 'peer',
  description: 'node-http-proxy `proxy.web()` in a node:http server, keep-alive http.Agent (maxSockets 128)',
  launch: (ctx) => ({ spawn: benchServer('http-proxy', 'http-proxy.ts', { BENCH_UPSTREAM: backendOf(ctx).url }) }),
};

export const fastifyHttpProxy: TargetDef = {
  name: '@fastify/http-proxy',
  role: 'peer',
  description: 'fastify with `@fastify/http-proxy` (prefix `/`, defaults: @fastify/reply-from on an undici Pool of 128)',
  launch: (ctx) => ({ spawn: benchServer('@fastify/http-proxy', 'fastify-http-proxy.ts', { BENCH_UPSTREAM: backendOf(ctx).url }) }),
};

export const undiciPassThrough: TargetDef = {
  name: 'undici pass-through',
  role: 'reference',
  description: 'node:http server + undici `Pool.request` (128 connections), both bodies streamed, hop-by-hop fields dropped',
  launch: (ctx) => ({ spawn: benchServer('undici pass-through', 'undici-passthrough.ts', { BENCH_UPSTREAM: backendOf(ctx).url }) }),
};
