/**
 * Filter: a per-service step on the request/response path, `(ctx, next)` style. A filter may change the
 * request, register a change to the response head, refuse the request (throw a GatewayError), and keep
 * state per Session (MaxScale's filter sessions) through `ctx.session.filterState`.
 */
import type { Session } from '../session/session.js';

export interface FilterContext {
  /** Request header fields as they will go upstream (`[name, value, ...]`, mutable). */
  readonly headers: string[];
  readonly session: Session | null;
  /** Registers a change to the response header fields (`[name, value, ...]`) before they reach the client. */
  onResponseHead(transform: (headers: string[]) => string[]): void;
}

export interface Filter {
  readonly name: string;
  readonly type: string;
  handle(ctx: FilterContext, next: () => Promise<void>): Promise<void>;
}

/** Runs `filters` around `last`, in order. */
export function runFilters(filters: readonly Filter[], ctx: FilterContext, last: () => Promise<void>): Promise<void> {
  if (filters.length === 0) return last();
  let i = 0;
  const next = (): Promise<void> => (i < filters.length ? filters[i++]!.handle(ctx, next) : last());
  return next();
}

/** Removes every field named `name` (case-insensitive) from a flat header list, in place. */
export function removeHeader(headers: string[], name: string): void {
  const lower = name.toLowerCase();
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() === lower) headers.splice(i, 2);
  }
}

/** Sets a field, replacing those with the same name, in place. */
export function setHeader(headers: string[], name: string, value: string): void {
  removeHeader(headers, name);
  headers.push(name, value);
}
