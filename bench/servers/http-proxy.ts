/**
 * node-http-proxy (`http-proxy`) in front of BENCH_UPSTREAM, on 127.0.0.1 port 0: a node:http server whose
 * handler is `proxy.web()`, with a keep-alive http.Agent (at most 128 sockets, as sessiongate's default pool).
 */
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const upstream = requireEnv('BENCH_UPSTREAM');
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: upstream, agent });

proxy.on('error', (err, _req, res) => {
  process.stderr.write(`http-proxy error: ${err.message}\n`);
  if ('writeHead' in res && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  } else {
    res.destroy();
  }
});

const server = createServer((req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
stopWhenTold(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
);
