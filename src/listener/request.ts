/** A request as the Connection hands it to its handler: the parsed head, raw header pairs in arrival order. */

export type RequestId = number;

export class IncomingRequest {
  /** Increasing per Connection, from 1. */
  readonly id: RequestId;
  readonly method: string;
  /** The request target exactly as sent (origin-form `/path?query`, or absolute-form). */
  readonly url: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Header fields as `[name, value, name, value, ...]`, names as sent. */
  readonly headers: readonly string[];
  /** The client wants the Connection kept open after this request. */
  readonly keepAlive: boolean;
  /** The client asks for a protocol upgrade (e.g. WebSocket). */
  readonly upgrade: boolean;
  /** `performance.now()` when the head was parsed. */
  readonly receivedAt: number;

  constructor(
    id: RequestId,
    method: string,
    url: string,
    versionMajor: number,
    versionMinor: number,
    headers: readonly string[],
    keepAlive: boolean,
    upgrade: boolean,
    receivedAt: number,
  ) {
    this.id = id;
    this.method = method;
    this.url = url;
    this.versionMajor = versionMajor;
    this.versionMinor = versionMinor;
    this.headers = headers;
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
    this.receivedAt = receivedAt;
  }

  get httpVersion(): string {
    return `${this.versionMajor}.${this.versionMinor}`;
  }

  /** The first value of a header field; `name` in lower case. */
  header(name: string): string | undefined {
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) {
      const k = h[i]!;
      if (k.length === name.length && k.toLowerCase() === name) return h[i + 1];
    }
    return undefined;
  }

  /** Every value of a header field, in order; `name` in lower case. */
  headerAll(name: string): string[] {
    const out: string[] = [];
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) {
      const k = h[i]!;
      if (k.length === name.length && k.toLowerCase() === name) out.push(h[i + 1]!);
    }
    return out;
  }

  /** The path part of the target (no query). */
  get path(): string {
    const q = this.url.indexOf('?');
    return q < 0 ? this.url : this.url.slice(0, q);
  }
}
