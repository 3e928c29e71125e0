/**
 * HAR 1.2 export of the exchange log, for browsers' and tools' importers: absolute URLs, `-1` for what does
 * not apply, secrets already redacted in the rows. Failed exchanges carry status 0 and `_error`.
 */
import { bodyView } from './body-text.js';
import { wallClock, type Exchange } from './exchange.js';

interface HarHeader {
  name: string;
  value: string;
}

const pairs = (h: readonly string[] | null): HarHeader[] => {
  const out: HarHeader[] = [];
  if (h) for (let i = 0; i < h.length; i += 2) out.push({ name: h[i]!, value: h[i + 1]! });
  return out;
};

const headerValue = (h: readonly string[] | null, name: string): string | undefined => {
  if (!h) return undefined;
  for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === name) return h[i + 1];
  return undefined;
};

export function toHar(rows: readonly Exchange[], creator: { name: string; version: string }, originOf: (server: string | null) => string): object {
  return {
    log: {
      version: '1.2',
      creator,
      pages: [],
      entries: rows.map((ex) => harEntry(ex, originOf(ex.server))),
    },
  };
}

function harEntry(ex: Exchange, origin: string): object {
  const url = new URL(ex.uri || '/', origin);
  const reqBody = bodyView(ex.requestBody);
  const resBody = bodyView(ex.responseBody);
  const send = 0;
  const wait = ex.ttfbMs ?? ex.timespanMs ?? 0;
  const receive = ex.timespanMs !== null && ex.ttfbMs !== null ? Math.max(0, ex.timespanMs - ex.ttfbMs) : 0;
  const entry: Record<string, unknown> = {
    startedDateTime: new Date(wallClock(ex.requestStart)).toISOString(),
    time: ex.timespanMs ?? 0,
    request: {
      method: ex.method,
      url: url.href,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: pairs(ex.requestHeaders),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      ...(ex.requestBodySize > 0
        ? { postData: { mimeType: headerValue(ex.requestHeaders, 'content-type') ?? 'application/octet-stream', text: reqBody?.encoding === 'utf8' ? reqBody.text : '', ...(reqBody?.encoding === 'base64' ? { _encoding: 'base64', _text: reqBody.text } : {}) } }
        : {}),
      headersSize: -1,
      bodySize: ex.requestBodySize,
    },
    response: {
      status: ex.status ?? 0,
      statusText: ex.reason ?? '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: pairs(ex.responseHeaders),
      content: {
        size: ex.responseBodySize,
        mimeType: headerValue(ex.responseHeaders, 'content-type') ?? 'application/octet-stream',
        ...(resBody ? { text: resBody.text, ...(resBody.encoding === 'base64' ? { encoding: 'base64' } : {}) } : {}),
        ...(ex.responseBodyTruncated ? { comment: `first ${ex.responseBody?.length ?? 0} of ${ex.responseBodySize} bytes kept` } : {}),
      },
      redirectURL: headerValue(ex.responseHeaders, 'location') ?? '',
      headersSize: -1,
      bodySize: ex.status === null ? -1 : ex.responseBodySize,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send, wait, receive },
    connection: ex.connection === null ? undefined : String(ex.connection),
    _id: ex.id,
    _kind: ex.kind,
    _session: ex.session,
    _server: ex.server,
    _queue_ms: ex.queueMs,
    _retry_of: ex.retryOf,
  };
  if (ex.error !== null) entry._error = ex.error;
  return entry;
}
