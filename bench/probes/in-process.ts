/**
 * What the probe children share: sessiongate from dist/ (as the bench measures it), a plain node:http
 * backend and an undici load loop, all in the child's own process, so that its heap is the gateway's plus
 * garbage that a full collection removes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import type * as ConfigModule from '../../src/config/index.js';
import type * as GatewayModule from '../../src/gateway.js';
import type * as LogModule from '../../src/log.js';
import { premise } from '../lib/probe-child.js';

const dist = new URL('../../dist/', import.meta.url);
export const { validateConfig } = (await import(new URL('config/index.js', dist).href)) as typeof ConfigModule;
export const { Gateway } = (await import(new URL('gateway.js', dist).href)) as typeof GatewayModule;
const { createLogger } = (await import(new URL('log.js', dist).href)) as typeof LogModule;

export type Gateway = GatewayModule.Gateway;

export interface Backend {
  url: string;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 that reads each request whole, then answers with `respond`. */
export async function startBackend(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => respond(req, res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Gateway from a config as a file would hold it (snake_case), warnings and errors logged to stdout. */
export async function startGateway(config: unknown): Promise<{ gateway: Gateway; url: string }> {
  const loaded = validateConfig(config, 'probe');
  const gateway = await Gateway.start(loaded, { logger: createLogger('warn') });
  const address = gateway.listeners[0]?.address;
  premise(address !== undefined && address !== null, 'the gateway has no bound listener');
  return { gateway, url: `http://127.0.0.1:${address.port}` };
}

/** The fields of a service config most probes share: one listener, one server, path prefix `/`. */
export function gatewayConfig(backendUrl: string, service: Record<string, unknown>, rest: Record<string, unknown> = {}): unknown {
  return {
    listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
    servers: [{ name: 'backend', url: backendUrl }],
    services: [{ name: 'api', listener: 'main', match: { path_prefix: '/' }, servers: ['backend'], ...service }],
    admin: { enabled: false },
    ...rest,
  };
}

export interface Load {
  /** Sends `n` requests over `connections` keep-alive connections; `request(i)` builds the i-th. */
  run(
    n: number,
    request: (i: number) => Dispatcher.RequestOptions,
    check: (res: Dispatcher.ResponseData, body: Buffer, i: number) => void,
  ): Promise<number>;
  close(): Promise<void>;
}

/** A closed-loop load (each connection sends its next request when the last one is answered). */
export function createLoad(url: string, connections = 16): Load {
  const pool = new Pool(url, { connections, pipelining: 1 });
  return {
    async run(n, request, check) {
      const t0 = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const res = await pool.request(request(i));
          const body = Buffer.from(await res.body.arrayBuffer());
          check(res, body, i);
        }
      };
      await Promise.all(Array.from({ length: connections }, worker));
      return (performance.now() - t0) / 1000;
    },
    close: () => pool.close(),
  };
}

export type Session = Awaited<ReturnType<Gateway['sessions']['resolve']>>['session'];

/**
 * What src/proxy/handle-request.ts does with the Session of a request without a cookie, minus HTTP and the
 * upstream leg: resolve (a new session), queue, turn, release.
 */
export async function newSessionRequest(gateway: Gateway, connectionId: number, address: string): Promise<{ session: Session; created: boolean }> {
  const policy = gateway.services[0]!.config.session;
  const { session, created } = await gateway.sessions.resolve(policy, { service: 'api', token: null, connectionId, address, user: null });
  const request = { cancel: () => {} };
  const wait = session.queue.enter(request);
  if (wait !== null) await wait;
  const turn = await gateway.sessions.acquire(session, () => false);
  session.requests++;
  session.queue.leave(request);
  await gateway.sessions.release(session, turn);
  return { session, created };
}
