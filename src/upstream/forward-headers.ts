/**
 * Header hygiene in both directions: hop-by-hop fields (RFC 9110 §7.6.1) never cross the gateway, the
 * fields a `Connection` header names neither, and the X-Forwarded-* fields tell the server who asked.
 */

/** Fields that concern one connection only; `proxy-*` fields are matched by prefix. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'http2-settings']);

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-');
}

/** The field names listed in `Connection` header values (e.g. `Connection: close, X-Secret`). */
function connectionTokens(values: string[]): Set<string> | null {
  let out: Set<string> | null = null;
  for (const v of values) {
    for (const token of v.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') (out ??= new Set()).add(t);
    }
  }
  return out;
}

export interface ForwardContext {
  /** The client's address (appended to X-Forwarded-For). */
  clientAddress: string;
  /** `http` or `https`: how the client reached the gateway. */
  proto: 'http' | 'https';
}

export interface ForwardedRequestHead {
  /** Flat `[name, value, ...]` for undici. */
  headers: string[];
  expectContinue: boolean;
  hasBody: boolean;
}

/**
 * Request fields to send upstream, without Host (added per attempt: the server's, or the client's with
 * `preserve_host`) and without X-Forwarded-Host (added once the target is parsed: the authority the request
 * was routed on). Drops hop-by-hop fields and those named by `Connection`, `Expect` (the gateway answers
 * `100-continue` itself), framing (undici frames the body), any X-Forwarded-Proto/-Host the client sent, and
 * field names with an underscore (a server that reads `_` as `-` would see `Content_Length` as framing; nginx
 * drops them too); appends to X-Forwarded-For.
 */
export function forwardRequestHeaders(raw: readonly string[], ctx: ForwardContext): ForwardedRequestHead {
  const out: string[] = [];
  let named: Set<string> | null = null;
  let connectionValues: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') (connectionValues ??= []).push(raw[i + 1]!);
  }
  if (connectionValues) named = connectionTokens(connectionValues);
  let forwardedFor: string | null = null;
  let expectContinue = false;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    // Framing is the gateway's business whatever Connection says: a body stays a body (undici frames it).
    if (lower === 'transfer-encoding') {
      hasBody = true;
      continue;
    }
    if (lower === 'content-length') {
      if (value !== '0') hasBody = true;
      if (named === null || !named.has(lower)) out.push(name, value);
      continue;
    }
    if (lower === 'expect') {
      expectContinue = value.trim().toLowerCase() === '100-continue';
      continue;
    }
    if ((named !== null && named.has(lower)) || name.includes('_')) continue;
    switch (lower) {
      case 'host':
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`;
        continue;
    }
    if (isHopByHop(lower)) continue;
    out.push(name, value);
  }
  out.push('x-forwarded-for', forwardedFor === null ? ctx.clientAddress : `${forwardedFor}, ${ctx.clientAddress}`);
  out.push('x-forwarded-proto', ctx.proto);
  return { headers: out, expectContinue, hasBody };
}

/** Response fields to send to the client: undici's raw `[name, value, ...]` buffers, minus hop-by-hop fields. */
export function forwardResponseHeaders(raw: readonly (Buffer | string)[]): string[] {
  const fields: string[] = new Array<string>(raw.length);
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    fields[i] = name;
    fields[i + 1] = value;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      // Every Connection line counts (RFC 9110 §7.6.1), not only the last.
      for (const t of connectionTokens([value]) ?? []) (named ??= new Set()).add(t);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const lower = name.toLowerCase();
    // A server cannot pose as the gateway: its own X-Sessiongate-Error never reaches the client.
    if (isHopByHop(lower) || (named !== null && named.has(lower)) || lower === 'x-sessiongate-error') continue;
    out.push(name, fields[i + 1]!);
  }
  return out;
}
