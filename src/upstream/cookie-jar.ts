/**
 * The cookie jar of an upstream context: RFC 6265 semantics from tough-cookie (domain and path scoping,
 * expiry, Secure cookies allowed on loopback http), used synchronously (in-memory store) on the hot path.
 */
import { CookieJar } from 'tough-cookie';

const JAR_OPTIONS = { looseMode: true, allowSpecialUseDomain: true };

export class UpstreamJar {
  #jar: CookieJar;

  constructor(serialized?: unknown) {
    this.#jar = serialized === undefined ? new CookieJar(undefined, JAR_OPTIONS) : CookieJar.deserializeSync(serialized as string);
  }

  /** Stores the cookies of `Set-Cookie` values received for `url`. */
  absorb(setCookies: readonly string[], url: string): void {
    for (const value of setCookies) {
      if (/^\s*(=|;|$)/.test(value)) continue; // no name: nothing a server could mean to get back
      try {
        this.#jar.setCookieSync(value, url, { ignoreError: true });
      } catch {
        // A malformed cookie from a server is ignored, as browsers do.
      }
    }
  }

  /** The `Cookie` value to send to `url` ('' when none). */
  cookieHeader(url: string): string {
    return this.#jar.getCookieStringSync(url);
  }

  /** Names of the cookies that would go to `url` (never values: those are secrets). */
  names(url: string): string[] {
    return this.#jar.getCookiesSync(url).map((c) => c.key);
  }

  clear(): void {
    this.#jar.removeAllCookiesSync();
  }

  /** Replaces every cookie with those of a serialized jar. */
  replaceWith(serialized: unknown): void {
    this.#jar = CookieJar.deserializeSync(serialized as string);
  }

  /** For a store that persists contexts (the Redis store). */
  toJSON(): unknown {
    return this.#jar.serializeSync();
  }
}

/**
 * Merges the jar's cookies into a request's Cookie fields (in place): client cookies with the same names as
 * the jar's are dropped, so a stale client copy never shadows the gateway's session cookie.
 */
export function mergeCookies(headers: string[], jarCookies: string): void {
  if (!jarCookies) return;
  const names = new Set(jarCookies.split(';').map((p) => p.split('=')[0]!.trim()));
  const kept: string[] = [];
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() !== 'cookie') continue;
    for (const pair of headers[i + 1]!.split(';')) {
      const name = pair.split('=')[0]!.trim();
      if (name && !names.has(name)) kept.unshift(pair.trim());
    }
    headers.splice(i, 2);
  }
  headers.push('cookie', kept.length ? `${kept.join('; ')}; ${jarCookies}` : jarCookies);
}
