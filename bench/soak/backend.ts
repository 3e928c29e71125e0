/**
 * The soak's backend: a plain node:http origin on 127.0.0.1 that can be restarted on the same port
 * (SOAK_BACKEND_PORT; 0 picks one). The routes of bench/servers/backend.ts, plus two slow ones for the
 * client-abort fault:
 *   GET  /small       200 with a 100-byte JSON body
 *   POST /upload      reads the whole body, then 200 {"received":BYTES}
 *   GET  /slow?ms=N   200 after N ms (at most 10 s)
 *   GET  /drip?ms=N   200, 64 KiB sent in 16 chunks over N ms (at most 10 s)
 *   GET  /stats       {"slow":{"done":N,"cut":N},"drip":{...}}: slow responses finished, and cut off by the
 *                     other side (the gateway passing a client's abort on) since this process started
 *   anything else     404
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveHttp } from '../lib/child.js';
import { routeTable, small, SMALL_BODY, upload, type Route } from '../servers/routes.js';

const DRIP_CHUNK = Buffer.alloc(4096, 0x61);
const DRIP_CHUNKS = 16;

function delayOf(req: IncomingMessage): number {
  const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '500');
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 10_000) : 500;
}

const stats = { slow: { done: 0, cut: 0 }, drip: { done: 0, cut: 0 } };
function count(res: ServerResponse, which: keyof typeof stats): void {
  res.on('close', () => {
    if (res.writableFinished) stats[which].done++;
    else stats[which].cut++;
  });
}

const routes: Record<string, Route> = {
  'GET /small': small,
  'POST /upload': upload,
  'GET /slow': (req, res) => {
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL_BODY.length });
      res.end(SMALL_BODY);
    }, delayOf(req));
    res.on('close', () => clearTimeout(timer));
    count(res, 'slow');
  },
  'GET /drip': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': DRIP_CHUNK.length * DRIP_CHUNKS });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(DRIP_CHUNK);
      if (++sent === DRIP_CHUNKS) {
        clearInterval(timer);
        res.end();
      }
    }, Math.max(1, Math.floor(delayOf(req) / DRIP_CHUNKS)));
    res.on('close', () => clearInterval(timer));
    count(res, 'drip');
  },
  'GET /stats': (_req, res) => {
    const body = JSON.stringify(stats);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  },
};

serveHttp(createServer({ keepAliveTimeout: 30_000 }, routeTable(routes)), Number(process.env.SOAK_BACKEND_PORT ?? 0));
