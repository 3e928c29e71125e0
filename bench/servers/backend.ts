/**
 * The backend of the benchmarks: a plain node:http origin server on 127.0.0.1, port 0.
 *   GET  /small   200 with a 100-byte JSON body
 *   POST /upload  reads the whole request body, then 200 with a small JSON body: {"received":BYTES}
 *   POST /echo    reads the whole request body, then 200 with the same body (and Content-Type)
 *   anything else 404
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady, stopWhenTold } from '../lib/child.js';

/** Exactly 100 bytes. */
const SMALL_BODY = Buffer.from(`{"ok":true,"data":"${'x'.repeat(100 - '{"ok":true,"data":""}'.length)}"}`);

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const routes: Record<string, Route> = {
  'GET /small': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL_BODY.length });
    res.end(SMALL_BODY);
  },
  'POST /upload': (req, res) => {
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => {
      const body = `{"received":${received}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  },
  'POST /echo': (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  },
};

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const route = routes[`${req.method} ${req.url}`];
  if (route !== undefined) return route(req, res);
  req.resume();
  res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 9 });
  res.end('not found');
});
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
stopWhenTold(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
