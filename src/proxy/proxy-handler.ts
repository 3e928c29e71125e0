/**
 * The gateway's handler of each client Connection: turns Connection events into request handling.
 * Built on the public Connection API, like any other user of it.
 */
import type { Logger } from 'pino';
import type { Connection, ConnectionHandler, HandlerFactory, IncomingRequest, RequestId } from '../listener/index.js';
import { forwardRequestHeaders } from '../upstream/forward-headers.js';
import { handleRequest, type ProxyPolicy } from './handle-request.js';
import { RequestBody } from './request-body.js';
import { RequestContext } from './request-context.js';
import { respondError } from './respond.js';

export interface ProxyOptions extends ProxyPolicy {
  logger: Logger;
  /** `logging.access_log`: one info line per request once it is answered. */
  accessLog: boolean;
  /** The listener's name, in access lines. */
  listener: string;
}

class ProxyHandler implements ConnectionHandler {
  readonly #connection: Connection;
  readonly #options: ProxyOptions;
  readonly #contexts = new Map<RequestId, RequestContext>();

  constructor(connection: Connection, options: ProxyOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  request(request: IncomingRequest): void {
    const conn = this.#connection;
    const head = forwardRequestHeaders(request.headers, {
      clientAddress: conn.remoteAddress,
      proto: conn.secure ? 'https' : 'http',
    });
    const log = this.#options.log;
    const body = head.hasBody ? new RequestBody(conn, log.enabled ? log.maxBodyBytes : 0) : null;
    const ctx = new RequestContext(conn, request, head.headers, head.expectContinue, body, log);
    this.#contexts.set(request.id, ctx);
    handleRequest(this.#options, ctx)
      .catch((err: unknown) => {
        this.#options.logger.error({ err, connection: conn.id, request: request.id }, 'request handling failed');
        if (ctx.status === 0) respondError(ctx, 'SG_ERR_INTERNAL');
        else conn.sendCancel(request.id);
      })
      .finally(() => {
        ctx.body?.dispose();
        this.#contexts.delete(request.id);
        if (this.#options.accessLog) this.#accessLine(ctx);
      });
  }

  /**
   * The access line: what a client asked and got. The target is the one forwarded (session tokens taken
   * out), never the raw request line; the session is its public id, never the token.
   */
  #accessLine(ctx: RequestContext): void {
    const conn = this.#connection;
    this.#options.logger.info(
      {
        listener: this.#options.listener,
        client: conn.remoteAddress,
        connection: conn.id,
        method: ctx.request.method,
        target: ctx.path === '' ? null : ctx.path + ctx.query,
        status: ctx.status,
        error: ctx.errorCode,
        ms: Math.round((performance.now() - ctx.request.receivedAt) * 1000) / 1000,
        bytes_in: ctx.body?.size ?? 0,
        bytes_out: ctx.responseBytes,
        service: ctx.service?.name ?? null,
        server: ctx.server?.name ?? null,
        session: ctx.session?.id ?? null,
      },
      'request',
    );
  }

  chunk(requestId: RequestId, data: Buffer): void {
    this.#contexts.get(requestId)?.body?.push(data);
  }

  finished(requestId: RequestId): void {
    this.#contexts.get(requestId)?.body?.end();
  }

  failed(requestId: RequestId): void {
    this.#contexts.get(requestId)?.cancel('SG_ERR_CLIENT_ABORTED');
  }

  cancelled(requestId: RequestId): void {
    this.#contexts.get(requestId)?.cancel('SG_ERR_CLIENT_ABORTED');
  }

  drained(requestId: RequestId): void {
    this.#contexts.get(requestId)?.responder?.drained();
  }

  closed(): void {
    void this.#options.sessions.connectionClosed(this.#connection.id);
  }
}

export function createProxyHandlerFactory(options: ProxyOptions): HandlerFactory {
  return (connection) => new ProxyHandler(connection, options);
}
