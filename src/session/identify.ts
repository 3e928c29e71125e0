/**
 * Session identification on the wire: the session cookie, the `sessionid` URL parameter, the user of a
 * request. The gateway's own token is removed from what goes upstream: servers never see it.
 */

/** The value of cookie `name` in the request's Cookie fields, removing it from them (in place). */
export function takeCookie(headers: string[], name: string): string | null {
  let found: string | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length !== 6 || headers[i]!.toLowerCase() !== 'cookie') continue;
    const value = headers[i + 1]!;
    if (!value.includes(name)) continue;
    const kept: string[] = [];
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=');
      const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
      if (key === name) {
        if (found === null) found = eq < 0 ? '' : pair.slice(eq + 1).trim();
      } else if (pair.trim()) {
        kept.push(pair.trim());
      }
    }
    if (kept.length === 0) {
      headers.splice(i, 2);
      i -= 2;
    } else {
      headers[i + 1] = kept.join('; ');
    }
  }
  return found;
}

/**
 * The value of URL parameter `name` in a query (`?a=1&sessionid=X`), and the query without it (every
 * occurrence, the name percent-encoded or not: a server decodes it either way).
 */
export function takeParam(query: string, name: string): { value: string | null; query: string } {
  if (query.length < 2 || (!query.includes(name) && !query.includes('%'))) return { value: null, query };
  let value: string | null = null;
  const kept: string[] = [];
  for (const part of query.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === name || (key.includes('%') && safeDecode(key) === name)) {
      if (value === null) value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    } else if (part) {
      kept.push(part);
    }
  }
  return { value, query: kept.length ? `?${kept.join('&')}` : '' };
}

/** Removes URL parameter `name` from the query of every Referer field: a page URL must not carry a token on. */
export function scrubReferer(headers: string[], name: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length !== 7 || headers[i]!.toLowerCase() !== 'referer') continue;
    const value = headers[i + 1]!;
    const q = value.indexOf('?');
    if (q < 0) continue;
    const hash = value.indexOf('#', q);
    const query = hash < 0 ? value.slice(q) : value.slice(q, hash);
    const kept = takeParam(query, name);
    if (kept.value !== null) headers[i + 1] = value.slice(0, q) + kept.query + (hash < 0 ? '' : value.slice(hash));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Path=/, Secure when asked (TLS listeners, or `cookie_secure`). */
export function sessionCookie(name: string, token: string, secure: boolean): string {
  return `${name}=${token}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The user name of HTTP Basic credentials, or null. */
export function basicAuthUser(authorization: string | undefined): string | null {
  if (!authorization || !/^basic\s+/i.test(authorization)) return null;
  const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user.length > 0 && user.length <= 256 ? user : null;
}
