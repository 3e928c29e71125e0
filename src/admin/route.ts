/** How an admin API route is declared: method, path, what it accepts and returns, and its handler. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { FieldTree, ListRange } from './query.js';

export interface AdminRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The query parameters besides `fields` and `range`, validated against the route's `query` schema. */
  args: Record<string, unknown>;
  /** `fields`, parsed. */
  fields: FieldTree | null;
  /** `range`, parsed (list endpoints). */
  range: ListRange | null;
  /** The JSON body, validated against the route's `body` schema. */
  body: unknown;
  raw: IncomingMessage;
}

/** A JSON answer (`total` sets X-Total-Count on lists), or a handler that writes the response itself (SSE, files). */
export type AdminResult =
  | { status: number; body?: unknown; headers?: Record<string, string>; total?: number }
  | { stream: (res: ServerResponse) => void };

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v1/sessions/:id` */
  path: string;
  summary: string;
  /** More than the summary says, for the OpenAPI document and docs/admin-api.md. */
  description?: string;
  /** A list: supports `range` and reports X-Total-Count. */
  list?: boolean;
  /** Query parameters besides `fields` and `range`, validated. */
  query?: z.ZodObject;
  /** The request body, validated (strictly: unknown fields are errors). */
  body?: z.ZodType;
  /** The response body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Status of a successful answer. */
  status?: number;
  handler(req: AdminRequest): Promise<AdminResult> | AdminResult;
}

export function json(body: unknown, status = 200, extra: { total?: number; headers?: Record<string, string> } = {}): AdminResult {
  return { status, body, ...extra };
}

export function noContent(headers?: Record<string, string>): AdminResult {
  return headers ? { status: 204, headers } : { status: 204 };
}
