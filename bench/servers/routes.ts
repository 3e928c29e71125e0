/**
 * Routes the bench's backends share (bench/servers/backend.ts, bench/soak/backend.ts), and the handler
 * that serves a route table: `METHOD /path` (query ignored), anything else 404.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Exactly 100 bytes. */
export const SMALL_BODY = Buffer.from(`{"ok":true,"data":"${'x'.repeat(100 - '{"ok":true,"data":""}'.length)}"}`);

/** GET /small: 200 with the 100-byte JSON body. */
export const small: Route = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL_BODY.length });
  res.end(SMALL_BODY);
};

/** POST /upload: reads the whole request body, then 200 with `{"received":BYTES}`. */
export const upload: Route = (req, res) => {
  let received = 0;
  req.on('data', (chunk: Buffer) => (received += chunk.length));
  req.on('end', () => {
    const body = `{"received":${received}}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

/** POST /echo: reads the whole request body, then 200 with the same body (and Content-Type). */
export const echo: Route = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
};

export function routeTable(routes: Record<string, Route>): RequestListener {
  return (req, res) => {
    const route = routes[`${req.method} ${(req.url ?? '/').split('?')[0]}`];
    if (route !== undefined) return route(req, res);
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 9 });
    res.end('not found');
  };
}
