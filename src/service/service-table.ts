/** The services of one listener, ordered so that the first match is the most specific one. */
import type { Service } from './service.js';

export class ServiceTable {
  readonly #services: Service[];
  /**
   * The session cookie names and URL parameter names of these services. The gateway sets its cookies for
   * the whole host (`Path=/`) and a page URL with a token travels on in Referer, so a request for any service
   * of the listener may carry another service's token: it is removed before the request goes anywhere.
   */
  readonly sessionCookies: readonly string[];
  readonly sessionParams: readonly string[];

  constructor(services: readonly Service[]) {
    this.#services = [...services].sort((a, b) => b.specificity - a.specificity);
    const session = services.map((s) => s.config.session);
    this.sessionCookies = [...new Set(session.filter((p) => p.mode === 'cookie').map((p) => p.cookie))];
    this.sessionParams = [...new Set(session.filter((p) => p.mode === 'param').map((p) => p.param))];
  }

  /** `host` lower-case without port; `path` normalized. */
  match(host: string, path: string): Service | null {
    for (const s of this.#services) {
      if (s.matchesHost(host) && s.matchesPath(path)) return s;
    }
    return null;
  }

  get services(): readonly Service[] {
    return this.#services;
  }
}

/** `Example.com:8080` -> `example.com`; `[::1]:80` -> `::1`. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return (end > 0 ? host.slice(1, end) : host).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}
