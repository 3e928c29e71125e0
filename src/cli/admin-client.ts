/**
 * The admin CLI's one way to the admin API (undici): HTTP Basic, JSON in and out, the SSE stream, and every
 * failure turned into a `CommandError` worded for an operator, with the exit code scripts rely on.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { VERSION } from '../version.js';
import { CommandError, EXIT } from './output.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8989';

export interface AdminTarget {
  /** `http://host:port` of the admin API (a path prefix is kept, for an admin API behind a proxy). */
  url: string;
  user?: string | undefined;
  password?: string | undefined;
}

export type Query = Record<string, string | undefined>;

export interface Answer<T> {
  body: T;
  /** `X-Total-Count` of a list. */
  total: number | null;
  headers: Record<string, string | string[] | undefined>;
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

interface SendOptions {
  query?: Query | undefined;
  json?: unknown;
  accept?: string;
  signal?: AbortSignal;
  /** Milliseconds the body may stay silent; 0 for a stream. */
  bodyTimeout?: number;
}

export class AdminClient {
  readonly base: URL;
  readonly #authorization: string | null;
  readonly #user: string | null;
  readonly #agent = new Agent({ connect: { timeout: 5_000 }, headersTimeout: 15_000, bodyTimeout: 30_000, keepAliveTimeout: 1_000 });

  constructor(target: AdminTarget) {
    this.base = parseAdminUrl(target.url);
    const user = target.user ?? (this.base.username ? decodeURIComponent(this.base.username) : undefined);
    const password = target.password ?? (this.base.password ? decodeURIComponent(this.base.password) : undefined);
    this.base.username = '';
    this.base.password = '';
    if (password !== undefined && user === undefined) {
      throw new CommandError('a password needs a user: pass --user NAME (or SESSIONGATE_ADMIN_USER) as well', EXIT.INVALID);
    }
    this.#user = user ?? null;
    this.#authorization = user === undefined ? null : `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  }

  /** The admin API's address as the messages show it. */
  get address(): string {
    return this.base.href.replace(/\/$/, '');
  }

  async get<T>(path: string, query?: Query): Promise<Answer<T>> {
    const res = await this.#send('GET', path, { query });
    const total = res.headers['x-total-count'];
    return { body: await this.#json<T>(res, path), total: typeof total === 'string' && /^\d+$/.test(total) ? Number(total) : null, headers: res.headers };
  }

  /** A document as the API sent it (HAR export), not parsed. */
  async getText(path: string, query?: Query): Promise<string> {
    const res = await this.#send('GET', path, { query });
    return this.#read(res);
  }

  async delete(path: string, query?: Query): Promise<Answer<null>> {
    const res = await this.#send('DELETE', path, { query });
    await this.#read(res);
    return { body: null, total: null, headers: res.headers };
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    const res = await this.#send('PATCH', path, { json: body });
    return this.#json<T>(res, path);
  }

  /**
   * Follows an SSE resource, calling `onEvent` for each event, until the stream ends (resolves) or
   * `signal` aborts (resolves). A stream that breaks off is a `CommandError`.
   */
  async stream(path: string, onEvent: (event: SseEvent) => void, signal: AbortSignal): Promise<void> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#send('GET', path, { accept: 'text/event-stream', signal, bodyTimeout: 0 });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        for (const e of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) onEvent(e);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new CommandError(`the event stream from the admin API at ${this.address} broke off: ${reason(err)} (did the gateway stop?)`);
    }
  }

  async close(): Promise<void> {
    await this.#agent.destroy();
  }

  async #send(method: string, path: string, options: SendOptions): Promise<Dispatcher.ResponseData> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json', 'user-agent': `sessiongate-cli/${VERSION}` };
    if (this.#authorization !== null) headers.authorization = this.#authorization;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: this.#agent,
        signal: options.signal,
        ...(options.bodyTimeout !== undefined ? { bodyTimeout: options.bodyTimeout } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new CommandError(`cannot reach the admin API at ${this.address}: ${reason(err)}; is the gateway running? --admin sets the address`);
    }
    if (res.statusCode >= 400) throw failure(res.statusCode, await this.#read(res).catch(() => ''), path, this.#user);
    return res;
  }

  async #read(res: Dispatcher.ResponseData): Promise<string> {
    try {
      return await res.body.text();
    } catch (err) {
      throw new CommandError(`the admin API at ${this.address} broke off its answer: ${reason(err)}`);
    }
  }

  async #json<T>(res: Dispatcher.ResponseData, path: string): Promise<T> {
    const text = await this.#read(res);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CommandError(`the answer to ${path} from ${this.address} is not JSON; is --admin the address of a sessiongate admin API?`);
    }
  }
}

/** `--admin`: an http(s) URL; `host:port` alone means http. */
export function parseAdminUrl(value: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CommandError(`invalid admin API address "${value}": expected a URL such as ${DEFAULT_ADMIN_URL}`, EXIT.INVALID);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CommandError(`invalid admin API address "${value}": only http and https URLs`, EXIT.INVALID);
  }
  url.search = '';
  url.hash = '';
  return url;
}

/** An error answer, worded for an operator: the API's own detail, and what to do for 401. */
function failure(status: number, body: string, path: string, user: string | null): CommandError {
  const detail = apiDetail(body);
  if (status === 401) {
    const who = user === null ? 'no credentials given' : `the admin API refused user "${user}"`;
    return new CommandError(`authentication failed: pass --user/--password or SESSIONGATE_ADMIN_USER/PASSWORD (${who})`, EXIT.AUTH);
  }
  if (status === 403) return new CommandError(`refused: ${detail ?? 'forbidden'}`, EXIT.AUTH);
  if (status === 404) return new CommandError(detail ?? `the admin API has no ${path} (404); is --admin the address of a sessiongate admin API?`, EXIT.NOT_FOUND);
  if (status === 400 || status === 405 || status === 413 || status === 422) return new CommandError(detail ?? `the admin API refused the request (${status})`, EXIT.INVALID);
  return new CommandError(`the admin API answered ${status}${detail ? `: ${detail}` : ''}`);
}

/** `{"errors":[{"detail":"…"}]}` → the details; null when the body is something else. */
function apiDetail(body: string): string | null {
  try {
    const doc = JSON.parse(body) as { errors?: { detail?: unknown }[] };
    const details = (doc.errors ?? []).map((e) => e.detail).filter((d): d is string => typeof d === 'string');
    return details.length > 0 ? details.join('; ') : null;
  } catch {
    return null;
  }
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name did not resolve',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled',
  UND_ERR_SOCKET: 'the connection closed',
  EPROTO: 'TLS or protocol error (is it https?)',
};

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string }; errors?: { code?: string }[] };
  const code = e.code ?? e.cause?.code ?? e.errors?.[0]?.code;
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code];
  return e.message ?? String(err);
}

/** Server-Sent Events, as text arrives: complete events out, the rest kept. */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;

  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line === '') {
        if (this.#data.length > 0) out.push({ event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id });
        this.#event = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.#event = value;
      else if (field === 'data') this.#data.push(value);
      else if (field === 'id') this.#id = value;
    }
    return out;
  }
}
