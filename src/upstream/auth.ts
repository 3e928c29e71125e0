/**
 * Authentication to a service's servers (`upstream.auth`): `basic` and `bearer` credentials on every request;
 * `login` (a configured login request whose cookies land in the context's jar) and `custom` (a function that
 * logs in with the context's client) once per upstream context. Credentials come from the config or, with
 * `credentials: client`, from each client's own request, so different users never share an upstream session.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuthConfig, LoginAuthConfig } from '../config/upstream.js';
import type { ExchangeLog } from '../exchange/exchange-log.js';
import type { BufferedResponse } from './buffered.js';
import { headerValues } from './buffered.js';
import { contextRequest, type ContextRequest } from './context-request.js';
import { identityOf, type ClientCredentials } from './credentials.js';
import type { UpstreamContext } from './upstream-context.js';

/** What a custom login function gets: a client bound to the upstream context (cookies go into its jar). */
export interface LoginClient {
  request(req: ContextRequest): Promise<BufferedResponse>;
}

export interface LoginInfo {
  credentials: ClientCredentials;
  server: string;
  service: string;
}

export type LoginFunction = (client: LoginClient, info: LoginInfo) => Promise<void>;

export interface LoginEnvironment {
  log: ExchangeLog | null;
  session: string | null;
  headersTimeout: number;
  bodyTimeout: number;
}

export class Authenticator {
  readonly type: AuthConfig['type'];
  readonly #config: AuthConfig;
  readonly #custom: LoginFunction | null;

  private constructor(config: AuthConfig, custom: LoginFunction | null) {
    this.type = config.type;
    this.#config = config;
    this.#custom = custom;
  }

  /** Builds the authenticator; a `custom` module is imported now, so a missing export fails at start-up. */
  static async create(config: AuthConfig, cwd = process.cwd()): Promise<Authenticator> {
    let custom: LoginFunction | null = null;
    if (config.type === 'custom') {
      const mod = (await import(pathToFileURL(resolve(cwd, config.module)).href)) as Record<string, unknown>;
      const fn = mod[config.export];
      if (typeof fn !== 'function') throw new Error(`${config.module} has no exported function "${config.export}"`);
      custom = fn as LoginFunction;
    }
    return new Authenticator(config, custom);
  }

  /** A login step is needed before requests (once per upstream context). */
  get needsLogin(): boolean {
    return this.type === 'login' || this.type === 'custom';
  }

  /** Each client's own credentials are used. */
  get perClient(): boolean {
    return this.#config.type !== 'none' && this.#config.credentials === 'client';
  }

  /** The identity that keys upstream contexts apart (null: one context for everyone in scope). */
  identity(creds: ClientCredentials): string | null {
    return this.perClient ? identityOf(creds) : null;
  }

  /** The Authorization value to send on every request (basic, bearer), or null. */
  authorization(creds: ClientCredentials): string | null {
    const c = this.#config;
    if (c.type === 'basic') {
      const user = c.credentials === 'client' ? creds.user : (c.user ?? null);
      const password = c.credentials === 'client' ? creds.password : (c.password ?? null);
      return user === null || password === null ? null : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    if (c.type === 'bearer') {
      const token = c.credentials === 'client' ? creds.token : (c.token ?? null);
      return token === null ? null : `Bearer ${token}`;
    }
    return null;
  }

  /** Logs the context in; throws when the server does not accept the login. */
  async login(context: UpstreamContext, creds: ClientCredentials, env: LoginEnvironment): Promise<void> {
    const client: LoginClient = {
      request: (req) =>
        contextRequest(context, req, { kind: 'login', log: env.log, session: env.session, headersTimeout: env.headersTimeout, bodyTimeout: env.bodyTimeout }),
    };
    if (this.#custom !== null) {
      await this.#custom(client, { credentials: creds, server: context.server.name, service: context.service });
      return;
    }
    const c = this.#config;
    if (c.type !== 'login') return;
    const res = await client.request(loginRequest(c, creds));
    checkLogin(c, res);
  }
}

/** The configured login request, with `{{user}}` / `{{password}}` filled in from the client's credentials. */
function loginRequest(c: LoginAuthConfig, creds: ClientCredentials): ContextRequest {
  const headers: Record<string, string> = {};
  let contentType = '';
  for (const [k, v] of Object.entries(c.headers)) {
    headers[k] = fill(v, creds, 'raw');
    if (k.toLowerCase() === 'content-type') contentType = v.toLowerCase();
  }
  const mode = contentType.includes('json') ? 'json' : contentType.includes('x-www-form-urlencoded') ? 'form' : 'raw';
  return { method: c.method, path: fill(c.path, creds, 'form'), headers, body: c.body === undefined ? null : fill(c.body, creds, mode) };
}

function fill(template: string, creds: ClientCredentials, mode: 'json' | 'form' | 'raw'): string {
  if (!template.includes('{{')) return template;
  const encode = (v: string): string => (mode === 'json' ? JSON.stringify(v).slice(1, -1) : mode === 'form' ? encodeURIComponent(v) : v);
  return template.replace(/\{\{(user|password)\}\}/g, (_m, key: 'user' | 'password') => encode(creds[key] ?? ''));
}

function checkLogin(c: LoginAuthConfig, res: BufferedResponse): void {
  if (!c.success.status.includes(res.status)) throw new Error(`the login answered ${res.status} ${res.reason}`.trim());
  const h = c.success.header;
  if (h !== undefined) {
    const values = headerValues(res.headers, h.name.toLowerCase());
    if (!values.some((v) => new RegExp(h.match).test(v))) throw new Error(`the login response has no ${h.name} matching ${h.match}`);
  }
  if (c.success.body !== undefined && !new RegExp(c.success.body).test(res.body.toString('utf8'))) {
    throw new Error('the login response body does not match success.body');
  }
}
