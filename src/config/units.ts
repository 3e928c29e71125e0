/** Value types of the configuration file: durations, byte sizes and listen addresses. */
import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `500ms`, `5s`, `30m`, `8h`, `1d`, or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = DURATION_RE.exec(value.trim());
  if (!m) throw new Error(`invalid duration "${value}"`);
  return Math.round(Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]);
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;
const SIZE_BYTES: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `512`, `16kb`, `8mb`, `1gb` (binary multiples), or a number of bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = SIZE_RE.exec(value.trim());
  if (!m) throw new Error(`invalid size "${value}"`);
  return Math.floor(Number(m[1]) * SIZE_BYTES[(m[2] ?? 'b').toLowerCase()]!);
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `:8080` (all interfaces) or `8080` (loopback). */
export function parseListen(value: string): ListenAddress {
  const v = value.trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(v)) {
    host = '127.0.0.1';
    portText = v;
  } else if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0 || v[end + 1] !== ':') throw new Error(`invalid listen address "${value}"`);
    host = v.slice(1, end);
    portText = v.slice(end + 2);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon < 0) throw new Error(`invalid listen address "${value}": expected host:port`);
    host = v.slice(0, colon) || '0.0.0.0';
    portText = v.slice(colon + 1);
    if (host.includes(':')) throw new Error(`invalid listen address "${value}": write IPv6 hosts as [addr]:port`);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`invalid port in listen address "${value}"`);
  return { host, port };
}

export function formatListen(addr: ListenAddress): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/** Loopback hosts: the only ones the admin server may use without users. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::ffff:127.0.0.1';
}

function refineWith<T>(parse: (v: T) => unknown) {
  return (value: T, ctx: z.RefinementCtx) => {
    try {
      parse(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  };
}

/** A duration field: accepts `500ms`/`5s`/`30m`/`8h` or milliseconds; yields milliseconds. */
export const duration = () =>
  z
    .union([z.number().int().nonnegative(), z.string().regex(DURATION_RE, 'expected a duration such as 500ms, 5s, 30m or 8h')])
    .transform(parseDuration)
    .meta({ format: 'duration' });

/** A byte size field: accepts `16kb`/`8mb` or bytes; yields bytes. */
export const size = () =>
  z
    .union([z.number().int().nonnegative(), z.string().regex(SIZE_RE, 'expected a size such as 512, 16kb or 8mb')])
    .transform(parseSize)
    .meta({ format: 'size' });

export const listenAddress = () => z.string().superRefine(refineWith(parseListen)).meta({ format: 'address' });

/** Names of listeners, servers and services: used in URLs of the admin API. */
export const name = () =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name of letters, digits, ".", "_" or "-" (at most 64)');
