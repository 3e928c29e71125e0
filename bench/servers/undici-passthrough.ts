/**
 * The reference row: about the least a Node.js proxy can do. A node:http server that sends each request on
 * with undici `Pool.request` (128 keep-alive connections, pipelining 1: sessiongate's default pool) and
 * streams both bodies; hop-by-hop fields are dropped, nothing else is touched.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const upstream = new URL(requireEnv('BENCH_UPSTREAM'));
const pool = new Pool(upstream.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer((req, res) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool
    .request({
      method: req.method as 'GET',
      path: req.url ?? '/',
      headers: { ...forwardable(req.headers), host: upstream.host },
      body: hasBody ? req : null,
    })
    .then(({ statusCode, headers, body }) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(statusCode, out);
      pipeline(body, res, () => {});
    })
    .catch((err: Error) => {
      process.stderr.write(`undici pass-through error: ${err.message}\n`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
      else res.destroy();
    });
});
server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
stopWhenTold(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await pool.destroy();
});
