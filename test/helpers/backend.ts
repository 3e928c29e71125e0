/**
 * Real HTTP backends for tests, on 127.0.0.1 with a free port (node:http, as an ordinary origin server).
 * Each records the requests it saw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
}

export interface Backend {
  url: string;
  port: number;
  server: Server;
  seen: SeenRequest[];
  /** Requests being handled right now, and the most at once. */
  active: number;
  maxActive: number;
  close(): Promise<void>;
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, backend: Backend) => unknown;

/** A backend on 127.0.0.1: `listenPort` 0 (default) picks a free port; a given one brings a server back on a known port. */
export async function startBackend(handler: BackendHandler = okHandler, listenPort = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const backend = { seen: [] as SeenRequest[], active: 0, maxActive: 0 } as unknown as Backend;
  const server = createServer((req, res) => {
    backend.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    backend.active++;
    backend.maxActive = Math.max(backend.maxActive, backend.active);
    res.on('close', () => backend.active--);
    Promise.resolve(handler(req, res, backend)).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  Object.assign(backend, {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
  return backend;
}

/** Answers 200 with a small JSON body naming the backend port and the request. */
export const okHandler: BackendHandler = (req, res, backend) => {
  const body = JSON.stringify({ port: backend.port, method: req.method, url: req.url });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A TCP port with nothing listening on it (bound, then released). */
/**
 * A port nothing listens on. Picked below Linux's ephemeral range (32768+), where the servers other test
 * files start on port 0 land, so that none of them can take it between this call and the test's refused
 * connection; checked free by binding it once.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
