/**
 * Node's own HTTP/1.1 parser (llhttp), as its HTTP server uses it. This file is the only place that touches
 * Node's internal parser binding; it has the same shape on Node 20, 22 and 24 (checked by the tests).
 * The parser runs strict: no lenient flags (`insecureHTTPParser` stays off).
 */
import { createRequire } from 'node:module';

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): number | ParseError | undefined;
  free(): void;
  /** Deletes the native parser (use {@link releaseParser}). */
  close(): void;
  [index: number]: unknown;
}

export interface ParseError extends Error {
  code: string;
  reason: string;
  bytesParsed: number;
}

interface HTTPParserClass {
  new (): NativeParser;
  REQUEST: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: HTTPParserClass; methods: string[] };

export const HTTPParser = common.HTTPParser;

/**
 * Method names indexed by llhttp's method numbers. Node exports the HTTP methods as a dense list: its first
 * 34 entries are llhttp's numbers 0 to 33 (DELETE ... SOURCE); the methods llhttp added later (QUERY = 46)
 * come after them in Node's list but keep their own numbers in llhttp.
 */
const LLHTTP_NUMBERS: Readonly<Record<string, number>> = { QUERY: 46 };
export const METHODS: readonly string[] = (() => {
  const table: string[] = [];
  common.methods.forEach((m, i) => {
    const n = i < 34 ? i : LLHTTP_NUMBERS[m];
    if (n !== undefined) table[n] = m;
  });
  return table;
})();

export interface ParserCallbacks {
  messageBegin(): void;
  /** Header fields and URL pieces flushed early (requests with more than 32 fields or very long lines). */
  headers(headers: string[], url: string): void;
  headersComplete(
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number,
    url: string,
    statusCode: number,
    statusMessage: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number;
  body(chunk: Buffer): void;
  messageComplete(): void;
}

/** A strict request parser bound to the given callbacks. */
export function createRequestParser(maxHeaderSize: number, callbacks: ParserCallbacks): NativeParser {
  const parser = new HTTPParser();
  parser[HTTPParser.kOnMessageBegin] = callbacks.messageBegin;
  parser[HTTPParser.kOnHeaders] = callbacks.headers;
  parser[HTTPParser.kOnHeadersComplete] = callbacks.headersComplete;
  parser[HTTPParser.kOnBody] = callbacks.body;
  parser[HTTPParser.kOnMessageComplete] = callbacks.messageComplete;
  parser[HTTPParser.kOnExecute] = () => {};
  parser.initialize(HTTPParser.REQUEST, {}, maxHeaderSize, HTTPParser.kLenientNone);
  return parser;
}

/**
 * Deletes the native parser once its stack has unwound (as Node's own server does, `closeParserInstance`).
 * Until then Node holds it with a strong handle — and through its callbacks the Connection, its socket and
 * its handler — so a Connection whose parser is never released is never collected.
 */
export function releaseParser(parser: NativeParser): void {
  setImmediate(() => parser.close());
}

export function isParseError(value: unknown): value is ParseError {
  return value instanceof Error;
}
