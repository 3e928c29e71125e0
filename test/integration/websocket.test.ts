import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as UndiciWebSocket } from 'undici';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-client.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function wsBackend(): Promise<{ url: string; upgrades: { headers: Record<string, unknown> }[] }> {
  const server: Server = createServer((_req, res) => res.end('plain http'));
  const wss = new WebSocketServer({ server });
  const upgrades: { headers: Record<string, unknown> }[] = [];
  wss.on('connection', (ws, req) => {
    upgrades.push({ headers: req.headers });
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo: ${data.toString()}`, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, upgrades };
}

async function gateway(...args: Parameters<typeof startGateway>): Promise<TestGateway> {
  const g = await startGateway(...args);
  cleanup.push(() => g.stop());
  return g;
}

describe('WebSocket upgrades', () => {
  it('tunnels a WebSocket to the server, text and binary, both ways', async () => {
    const b = await wsBackend();
    const g = await gateway([b.url]);
    const ws = new UndiciWebSocket(`ws://127.0.0.1:${g.port}/socket`);
    ws.binaryType = 'arraybuffer';
    const messages: (string | number[])[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onerror = () => reject(new Error('websocket error'));
      ws.onopen = () => {
        ws.send('hello');
        ws.send(new Uint8Array([1, 2, 3]));
      };
      ws.onmessage = (ev) => {
        const data: unknown = ev.data;
        messages.push(typeof data === 'string' ? data : [...new Uint8Array(data as ArrayBuffer)]);
        if (messages.length === 2) resolve();
      };
    });
    ws.close();
    expect(messages).toEqual(['echo: hello', [1, 2, 3]]);
    expect(b.upgrades).toHaveLength(1);
    expect(b.upgrades[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(g.gateway.listeners[0]!.stats.accepted).toBe(1);
  });

  it('passes a refused upgrade through as a normal response', async () => {
    const { startBackend } = await import('../helpers/backend.js');
    const b = await startBackend((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('no websockets here');
    });
    cleanup.push(() => b.close());
    const g = await gateway([b.url]);
    const res = await rawRequest(
      g.port,
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(res.text).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(res.text).toContain('no websockets here');
    expect(res.closed).toBe(true);
  });
});
