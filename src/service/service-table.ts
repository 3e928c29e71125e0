/** The services of one listener, ordered so that the first match is the most specific one. */
import type { Service } from './service.js';

export class ServiceTable {
  readonly #services: Service[];

  constructor(services: readonly Service[]) {
    this.#services = [...services].sort((a, b) => b.specificity - a.specificity);
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
