/**
 * The admin API as the UI sees it. The JSON types are the server's own (`z.infer` of the schemas in
 * src/admin/serialize.ts), imported as types only: no zod, no server code in the bundle.
 */
import type {
  ConnectionJson,
  DataLossJson,
  ExchangeDetailJson,
  ExchangeLogStateJson,
  ExchangeSummaryJson,
  GatewayJson,
  ListenerJson,
  ServerJson,
  ServiceJson,
  SessionJson,
} from '../../../src/admin/serialize.js';
import type { ExchangeLogPatch } from '../../../src/config/exchange-log.js';

export type {
  ConnectionJson,
  DataLossJson,
  ExchangeDetailJson,
  ExchangeLogStateJson,
  ExchangeSummaryJson,
  GatewayJson,
  ListenerJson,
  ServerJson,
  ServiceJson,
  SessionJson,
  ExchangeLogPatch,
};

/** The `data-loss` event of /v1/exchanges/stream. */
export type DataLossEvent = DataLossJson & { scope: 'all' | 'server' | 'service'; name: string | null };

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function failure(res: Response): Promise<ApiError> {
  let detail = `${res.status} ${res.statusText}`;
  try {
    const doc = (await res.json()) as { errors?: { detail?: string }[] };
    if (doc.errors?.[0]?.detail) detail = doc.errors[0].detail;
  } catch {
    // not a JSON error document
  }
  return new ApiError(res.status, detail);
}

export interface ListResult<T> {
  items: T[];
  /** X-Total-Count: the length of the whole list, before `range`. */
  total: number;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal: signal ?? null });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function getList<T>(path: string, signal?: AbortSignal): Promise<ListResult<T>> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal: signal ?? null });
  if (!res.ok) throw await failure(res);
  const items = (await res.json()) as T[];
  const total = Number(res.headers.get('x-total-count') ?? items.length);
  return { items, total };
}

/**
 * A write (DELETE, PATCH, POST). Every write carries `X-Requested-By`, a header a cross-site form cannot
 * set: the admin server refuses browser writes without it.
 */
export async function write(method: 'DELETE' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-by': 'sessiongate-ui' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return res;
}

export const api = {
  exchangeLog: (): Promise<ExchangeLogStateJson> => getJson('/v1/exchange-log'),
  patchExchangeLog: async (patch: ExchangeLogPatch): Promise<ExchangeLogStateJson> =>
    (await write('PATCH', '/v1/exchange-log', patch)).json() as Promise<ExchangeLogStateJson>,
  exchanges: (query = ''): Promise<ExchangeSummaryJson[]> => getJson(`/v1/exchanges${query}`),
  exchange: (id: number, signal?: AbortSignal): Promise<ExchangeDetailJson> => getJson(`/v1/exchanges/${id}`, signal),
  clearExchanges: (): Promise<Response> => write('DELETE', '/v1/exchanges'),
  sessions: (signal?: AbortSignal): Promise<ListResult<SessionJson>> => getList('/v1/sessions?range=0-4999', signal),
  session: (id: string, signal?: AbortSignal): Promise<SessionJson> => getJson(`/v1/sessions/${encodeURIComponent(id)}`, signal),
  sessionConnections: (id: string, signal?: AbortSignal): Promise<ConnectionJson[]> =>
    getJson(`/v1/sessions/${encodeURIComponent(id)}/connections`, signal),
  killSession: (id: string): Promise<Response> => write('DELETE', `/v1/sessions/${encodeURIComponent(id)}`),
  /** Ends every session of `user`; resolves to how many were ended. */
  logOutUser: async (user: string): Promise<number> => {
    const res = await write('DELETE', `/v1/sessions?user=${encodeURIComponent(user)}`);
    return Number(res.headers.get('x-killed-count') ?? 0);
  },
  services: (): Promise<ServiceJson[]> => getJson('/v1/services'),
  servers: (): Promise<ServerJson[]> => getJson('/v1/servers'),
  listeners: (): Promise<ListenerJson[]> => getJson('/v1/listeners'),
  gateway: (): Promise<GatewayJson> => getJson('/v1/gateway'),
};

/** `/services/demo-api` → `demo-api`. */
export const linkName = (link: string | null): string => (link === null ? '' : link.slice(link.lastIndexOf('/') + 1));
