/**
 * The session client: sessiongate's upstream machinery for Node programs that call HTTP data sources
 * directly (the DataMiner and SAP use case). A fetch-like `request`, and re-use scopes as SAP Cloud
 * Integration names them:
 * - `none`: no state between requests (a login, or credentials, on every request);
 * - `exchange` (default): every request inside one `client.exchange(async (http) => ...)` shares one upstream
 *   session; a request outside an exchange is an exchange of its own;
 * - `shared`: one upstream session for every request of the client (stateless backends only).
 * Logins are single-flight, re-done once when the server says the session is gone (and the request replayed),
 * and every request (logins included) can be recorded into an ExchangeLog.
 *
 *   const client = createSessionClient({ baseUrl: 'http://127.0.0.1:9001',
 *     auth: { type: 'login', path: '/login', body: '{"user":"u","password":"p"}' } });
 *   await client.exchange(async (http) => { await http.request('/a'); await http.request('/b'); });
 */
import { authSection, expiredMatchSection, type AuthConfig } from '../config/upstream.js';
import type { ExchangeLog } from '../exchange/exchange-log.js';
import { Authenticator } from '../upstream/auth.js';
import { headerValues, type BufferedResponse } from '../upstream/buffered.js';
import { contextRequest, type ContextRequest } from '../upstream/context-request.js';
import { expiredResponse, type ExpiryPolicy } from '../upstream/context-handler.js';
import { NO_CREDENTIALS } from '../upstream/credentials.js';
import { expiryPolicy } from '../upstream/reuse.js';
import { Server } from '../upstream/server.js';
import { UpstreamContext, type ContextStats } from '../upstream/upstream-context.js';

export type ClientReuse = 'none' | 'exchange' | 'shared';

export interface SessionClientOptions {
  /** `http://host:port`, optionally with a base path. */
  baseUrl: string;
  /** Default `exchange`. */
  reuse?: ClientReuse;
  /** As `upstream.auth` in the config file: `{ type: 'basic' | 'bearer' | 'login' | 'custom', ... }`. */
  auth?: unknown;
  /** Statuses meaning "your session is gone". Default [401, 440]. */
  expiredStatuses?: number[];
  /** A redirect to the login path means the session is gone. Default true. */
  expiredRedirect?: boolean;
  /** `{ header?: { name, match }, body?: pattern }`. */
  expiredMatch?: unknown;
  /** Record every exchange (logins included) into this log. */
  exchangeLog?: ExchangeLog;
  /** Milliseconds. Defaults: connect 5 s, response headers 30 s, body idle 30 s. */
  timeouts?: { connect?: number; responseHeaders?: number; bodyIdle?: number };
  /** Most keep-alive connections to the server. Default 16. */
  maxConnections?: number;
  /** Largest response body (bytes). Default 16 MiB. */
  maxResponseBytes?: number;
  /** Back-off after failed logins (ms). Default 1 s doubling up to 30 s. */
  loginBackoff?: { initial: number; max: number };
  /** Name of the server in the exchange log. Default: the URL's host. */
  name?: string;
}

export interface SessionResponse {
  status: number;
  reason: string;
  /** `[name, value, ...]`. */
  rawHeaders: string[];
  /** First value of a header field (`name` in any case). */
  header(name: string): string | undefined;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export type RequestInput = string | ContextRequest;

/** The requests of one exchange scope: they share one upstream session. */
export interface ExchangeScope {
  request(input: RequestInput): Promise<SessionResponse>;
  /** The upstream context of this scope (login state, cookie names, statistics). */
  readonly context: UpstreamContext;
}

export interface SessionClient extends Omit<ExchangeScope, 'context'> {
  /** Runs `fn` with a scope whose requests share one upstream session (reuse `exchange`). */
  exchange<T>(fn: (http: ExchangeScope) => Promise<T>): Promise<T>;
  /** Statistics summed over every upstream context this client used. */
  readonly stats: Readonly<ContextStats>;
  close(): Promise<void>;
}

export function createSessionClient(options: SessionClientOptions): SessionClient {
  return new Client(options);
}

class Client implements SessionClient {
  readonly #server: Server;
  readonly #reuse: ClientReuse;
  readonly #authConfig: AuthConfig;
  readonly #auth: Promise<Authenticator>;
  readonly #expiry: ExpiryPolicy;
  readonly #options: SessionClientOptions;
  readonly #shared: UpstreamContext;
  readonly #totals: ContextStats = { requests: 0, logins: 0, relogins: 0, loginFailures: 0, reads: 0, writes: 0, bufferedWrites: 0, highWaterEvents: 0, lowWaterEvents: 0, bytesSent: 0, bytesReceived: 0 };
  readonly #service: string;

  constructor(options: SessionClientOptions) {
    this.#options = options;
    this.#reuse = options.reuse ?? 'exchange';
    this.#authConfig = authSection.parse(options.auth ?? { type: 'none' });
    const expiredMatch = expiredMatchSection.parse(options.expiredMatch ?? {});
    this.#expiry = expiryPolicy({
      expiredStatuses: options.expiredStatuses ?? [401, 440],
      expiredRedirect: options.expiredRedirect ?? true,
      expiredMatch,
      auth: this.#authConfig,
    });
    const url = new URL(options.baseUrl);
    this.#service = 'session-client';
    this.#server = new Server({
      name: options.name ?? url.host,
      url: options.baseUrl,
      maxConnections: options.maxConnections ?? 16,
      weight: 1,
      downInterval: 0,
      connectTimeout: options.timeouts?.connect ?? 5_000,
    });
    this.#auth = Authenticator.create(this.#authConfig);
    this.#shared = this.#newContext('service', 'shared');
  }

  get stats(): Readonly<ContextStats> {
    return this.#totals;
  }

  request(input: RequestInput): Promise<SessionResponse> {
    if (this.#reuse === 'shared') return this.#send(this.#shared, input);
    return this.#send(this.#newContext('none', 'request'), input);
  }

  async exchange<T>(fn: (http: ExchangeScope) => Promise<T>): Promise<T> {
    const context = this.#reuse === 'shared' ? this.#shared : this.#newContext(this.#reuse === 'none' ? 'none' : 'session', 'exchange');
    const perRequest = this.#reuse === 'none';
    const scope: ExchangeScope = {
      context,
      request: (input) => this.#send(perRequest ? this.#newContext('none', 'request') : context, input),
    };
    return fn(scope);
  }

  async close(): Promise<void> {
    await this.#server.close();
  }

  #newContext(scope: 'none' | 'session' | 'service', owner: string): UpstreamContext {
    return new UpstreamContext(this.#server, scope, owner, this.#service, null);
  }

  /** One request through a context: login first when needed, one re-login and replay on expiry. */
  async #send(context: UpstreamContext, input: RequestInput): Promise<SessionResponse> {
    const req: ContextRequest = typeof input === 'string' ? { path: input } : input;
    const auth = await this.#auth;
    for (let replay = 0; ; replay++) {
      if (auth.needsLogin) await this.#logIn(context, auth);
      const res = await this.#track(context, () => contextRequest(context, this.#withAuth(req, auth), this.#requestOptions()));
      if (replay === 0 && expiredResponse(this.#expiry, res.status, res.headers, res.body)) {
        context.markExpired();
        continue;
      }
      if (!auth.needsLogin) context.markAuthenticated();
      return response(res);
    }
  }

  async #logIn(context: UpstreamContext, auth: Authenticator): Promise<void> {
    const before = { logins: context.stats.logins, relogins: context.stats.relogins, failures: context.stats.loginFailures };
    const pending = context.ensureLoggedIn(
      (c) => this.#track(c, () => auth.login(c, NO_CREDENTIALS, { log: this.#options.exchangeLog ?? null, session: null, ...this.#timeouts() })),
      this.#options.loginBackoff ?? { initial: 1_000, max: 30_000 },
    );
    try {
      if (pending !== null) await pending;
    } finally {
      this.#totals.logins += context.stats.logins - before.logins;
      this.#totals.relogins += context.stats.relogins - before.relogins;
      this.#totals.loginFailures += context.stats.loginFailures - before.failures;
    }
  }

  /** Adds the context's request count to the client's totals. */
  async #track<T>(context: UpstreamContext, fn: () => Promise<T>): Promise<T> {
    const before = context.stats.requests;
    try {
      return await fn();
    } finally {
      this.#totals.requests += context.stats.requests - before;
    }
  }

  #withAuth(req: ContextRequest, auth: Authenticator): ContextRequest {
    const authorization = auth.authorization(NO_CREDENTIALS);
    if (authorization === null) return req;
    const headers = Array.isArray(req.headers) ? [...(req.headers as readonly string[])] : Object.entries(req.headers ?? {}).flat();
    return { ...req, headers: [...headers, 'authorization', authorization] };
  }

  #timeouts(): { headersTimeout: number; bodyTimeout: number } {
    return { headersTimeout: this.#options.timeouts?.responseHeaders ?? 30_000, bodyTimeout: this.#options.timeouts?.bodyIdle ?? 30_000 };
  }

  #requestOptions(): Parameters<typeof contextRequest>[2] {
    return { log: this.#options.exchangeLog ?? null, maxBody: this.#options.maxResponseBytes ?? 16 * 1024 * 1024, ...this.#timeouts() };
  }
}

function response(res: BufferedResponse): SessionResponse {
  return {
    status: res.status,
    reason: res.reason,
    rawHeaders: res.headers,
    body: res.body,
    header: (name) => headerValues(res.headers, name.toLowerCase())[0],
    text: () => res.body.toString('utf8'),
    json: <T>() => JSON.parse(res.body.toString('utf8')) as T,
  };
}
