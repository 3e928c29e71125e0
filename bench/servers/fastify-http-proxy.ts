/**
 * `@fastify/http-proxy` on fastify in front of BENCH_UPSTREAM, on 127.0.0.1 port 0. Its defaults: the
 * request body streams through unparsed, and @fastify/reply-from sends it with an undici Pool of 128
 * keep-alive connections (pipelining 1), as sessiongate's default pool.
 */
import fastifyHttpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const upstream = requireEnv('BENCH_UPSTREAM');
const app = Fastify({ logger: false });
await app.register(fastifyHttpProxy, { upstream, prefix: '/' });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('fastify did not bind a TCP port');
announceReady(address.port);
stopWhenTold(() => app.close());
