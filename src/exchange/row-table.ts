/**
 * RowTable: where the exchange log keeps its rows, as columns rather than objects. A recorded Exchange is
 * copied into one slot (numbers into one Float64Array, flags into a Uint8Array, and references: its text,
 * the arena of its bodies, and names the gateway holds anyway) and is then free to die young; reading a slot
 * builds an Exchange again. An evicted row's slot is simply written over by the next row.
 *
 * Why: a busy log keeps thousands of rows that each live through a few young-generation collections. As
 * objects (an Exchange, a box per fractional number, a string per head, the uri and the reason), every row
 * was copied by those collections and then promoted, so the old generation grew with the traffic and
 * needed full collections; two gateways under the same load measured about 5 µs of CPU per request for
 * that. Here a row costs the collector one flat string: its uri, reason and heads joined, cut apart again
 * by lengths.
 * The other strings a row refers to are the method, the service's and server's names, the session's id and
 * the error's code, which live longer than the row anyway.
 */
import type { ErrorCode } from '../errors.js';
import type { BodyArena } from './body-arena.js';
import { Exchange, type ExchangeFields, type ExchangeKind, type KeptParts } from './exchange.js';

/** The numbers of a slot, at `slot * NUMBERS + field`; NaN stands for null. */
const ID = 0;
const CONNECTION = 1;
const REQUEST_BODY_SIZE = 2;
const REQUEST_START = 3;
const STATUS = 4;
const RESPONSE_BODY_SIZE = 5;
const RESPONSE_HEADERS_AT = 6;
const RESPONSE_END = 7;
const QUEUE_MS = 8;
const RETRY_OF = 9;
const REQUEST_AT = 10;
const REQUEST_LENGTH = 11;
const RESPONSE_AT = 12;
const RESPONSE_LENGTH = 13;
/** Lengths of the parts of the slot's text (uri, reason, request head, response head; -1: null). */
const URI_LENGTH = 14;
const REASON_LENGTH = 15;
const REQUEST_HEAD_LENGTH = 16;
const RESPONSE_HEAD_LENGTH = 17;
const NUMBERS = 18;

const LOGIN = 1;
const LOSSY = 2;
const TOO_LARGE = 4;

/** An array of `n` empty slots with fast elements (`new Array(n)` of a large n makes a dictionary). */
const slots = <T>(n: number): T[] => Array.from({ length: n }, (): T => undefined as T);
const nullable = (n: number | null): number => (n === null ? NaN : n);
const orNull = (n: number): number | null => (Number.isNaN(n) ? null : n);
const lengthOf = (s: string | null): number => (s === null ? -1 : s.length);

export class RowTable {
  readonly capacity: number;
  // The columns, allocated by the first write: a table that records nothing (a disabled log) costs nothing.
  #num = new Float64Array(0);
  #flags = new Uint8Array(0);
  #text: (string | undefined)[] = [];
  #arena: (BodyArena | null | undefined)[] = [];
  #method: (string | undefined)[] = [];
  #session: (string | null | undefined)[] = [];
  #service: (string | null | undefined)[] = [];
  #server: (string | null | undefined)[] = [];
  #error: (string | null | undefined)[] = [];
  #errorCode: (ErrorCode | null | undefined)[] = [];
  /** What `fields` hands out. */
  readonly #view: FieldsView = new FieldsView(this);
  /** What `write` reads a row's kept parts into. */
  readonly #kept: KeptParts = { arena: null, requestHeaders: null, responseHeaders: null, requestAt: -1, requestLength: 0, responseAt: -1, responseLength: 0, tooLarge: false };

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  #allocate(): void {
    const n = this.capacity;
    this.#num = new Float64Array(n * NUMBERS);
    this.#flags = new Uint8Array(n);
    this.#text = slots<string | undefined>(n);
    this.#arena = slots<BodyArena | null | undefined>(n);
    this.#method = slots<string | undefined>(n);
    this.#session = slots<string | null | undefined>(n);
    this.#service = slots<string | null | undefined>(n);
    this.#server = slots<string | null | undefined>(n);
    this.#error = slots<string | null | undefined>(n);
    this.#errorCode = slots<ErrorCode | null | undefined>(n);
  }

  /** Copies a recorded exchange (its bodies already in the arena) into `slot`. */
  write(slot: number, ex: Exchange): void {
    if (this.#flags.length === 0) this.#allocate();
    const k = ex.keptInto(this.#kept);
    const n = this.#num;
    const o = slot * NUMBERS;
    n[o + ID] = ex.id;
    n[o + CONNECTION] = nullable(ex.connection);
    n[o + REQUEST_BODY_SIZE] = ex.requestBodySize;
    n[o + REQUEST_START] = ex.requestStart;
    n[o + STATUS] = nullable(ex.status);
    n[o + RESPONSE_BODY_SIZE] = ex.responseBodySize;
    n[o + RESPONSE_HEADERS_AT] = ex.responseHeadersAt;
    n[o + RESPONSE_END] = ex.responseEnd;
    n[o + QUEUE_MS] = ex.queueMs;
    n[o + RETRY_OF] = nullable(ex.retryOf);
    n[o + REQUEST_AT] = k.requestAt;
    n[o + REQUEST_LENGTH] = k.requestLength;
    n[o + RESPONSE_AT] = k.responseAt;
    n[o + RESPONSE_LENGTH] = k.responseLength;
    n[o + URI_LENGTH] = ex.uri.length;
    n[o + REASON_LENGTH] = lengthOf(ex.reason);
    n[o + REQUEST_HEAD_LENGTH] = lengthOf(k.requestHeaders);
    n[o + RESPONSE_HEAD_LENGTH] = lengthOf(k.responseHeaders);
    this.#flags[slot] = (ex.kind === 'login' ? LOGIN : 0) | (ex.lossy ? LOSSY : 0) | (k.tooLarge ? TOO_LARGE : 0);
    // One flat string (join always makes one; `+` would make a rope of four).
    this.#text[slot] = [ex.uri, ex.reason ?? '', k.requestHeaders ?? '', k.responseHeaders ?? ''].join('');
    this.#arena[slot] = k.arena;
    k.arena = k.requestHeaders = k.responseHeaders = null;
    this.#method[slot] = ex.method;
    this.#session[slot] = ex.session;
    this.#service[slot] = ex.service;
    this.#server[slot] = ex.server;
    this.#error[slot] = ex.error;
    this.#errorCode[slot] = ex.errorCode;
  }

  /** The row in `slot`, as an Exchange of its own (changing it changes nothing in the table). */
  read(slot: number): Exchange {
    const n = this.#num;
    const o = slot * NUMBERS;
    const flags = this.#flags[slot]!;
    const ex = new Exchange(n[o + ID]!);
    // The fields a filter reads come through the same accessors (see FieldsView).
    ex.kind = this.kind(slot);
    ex.session = this.session(slot);
    ex.connection = this.connection(slot);
    ex.service = this.service(slot);
    ex.server = this.server(slot);
    ex.method = this.method(slot);
    ex.requestBodySize = n[o + REQUEST_BODY_SIZE]!;
    ex.requestStart = this.requestStart(slot);
    ex.status = this.status(slot);
    ex.responseBodySize = n[o + RESPONSE_BODY_SIZE]!;
    ex.responseHeadersAt = n[o + RESPONSE_HEADERS_AT]!;
    ex.responseEnd = n[o + RESPONSE_END]!;
    ex.queueMs = n[o + QUEUE_MS]!;
    ex.retryOf = orNull(n[o + RETRY_OF]!);
    ex.error = this.error(slot);
    ex.errorCode = this.errorCode(slot);
    ex.lossy = this.lossy(slot);
    // The text's parts, in order; a null part has length -1 and takes no characters.
    const text = this.#text[slot] ?? '';
    let at = 0;
    const part = (length: number): string | null => {
      if (length < 0) return null;
      const s = text.slice(at, at + length);
      at += length;
      return s;
    };
    ex.uri = part(n[o + URI_LENGTH]!) ?? '';
    ex.reason = part(n[o + REASON_LENGTH]!);
    const requestHeaders = part(n[o + REQUEST_HEAD_LENGTH]!);
    const responseHeaders = part(n[o + RESPONSE_HEAD_LENGTH]!);
    ex.restoreKept({
      arena: this.#arena[slot] ?? null,
      requestHeaders,
      responseHeaders,
      requestAt: n[o + REQUEST_AT]!,
      requestLength: n[o + REQUEST_LENGTH]!,
      responseAt: n[o + RESPONSE_AT]!,
      responseLength: n[o + RESPONSE_LENGTH]!,
      tooLarge: (flags & TOO_LARGE) !== 0,
    });
    return ex;
  }

  id(slot: number): number {
    return this.#num[slot * NUMBERS + ID]!;
  }

  /**
   * The fields a filter reads, of the row in `slot`, answered from the columns without building the row:
   * one view per table, moved to the slot on each call (valid until the next call).
   */
  fields(slot: number): ExchangeFields {
    this.#view.slot = slot;
    return this.#view;
  }

  kind(slot: number): ExchangeKind {
    return (this.#flags[slot]! & LOGIN) !== 0 ? 'login' : 'request';
  }

  connection(slot: number): number | null {
    return orNull(this.#num[slot * NUMBERS + CONNECTION]!);
  }

  status(slot: number): number | null {
    return orNull(this.#num[slot * NUMBERS + STATUS]!);
  }

  requestStart(slot: number): number {
    return this.#num[slot * NUMBERS + REQUEST_START]!;
  }

  /** The first part of the row's text. */
  uri(slot: number): string {
    return (this.#text[slot] ?? '').slice(0, this.#num[slot * NUMBERS + URI_LENGTH]!);
  }

  method(slot: number): string {
    return this.#method[slot] ?? '';
  }

  session(slot: number): string | null {
    return this.#session[slot] ?? null;
  }

  error(slot: number): string | null {
    return this.#error[slot] ?? null;
  }

  errorCode(slot: number): ErrorCode | null {
    return this.#errorCode[slot] ?? null;
  }

  lossy(slot: number): boolean {
    return (this.#flags[slot]! & LOSSY) !== 0;
  }

  server(slot: number): string | null {
    return this.#server[slot] ?? null;
  }

  service(slot: number): string | null {
    return this.#service[slot] ?? null;
  }
}

/** A row's filterable fields, read from the table's columns at `slot` (see RowTable.fields). */
class FieldsView implements ExchangeFields {
  slot = 0;
  readonly #table: RowTable;
  constructor(table: RowTable) {
    this.#table = table;
  }
  get id(): number {
    return this.#table.id(this.slot);
  }
  get kind(): ExchangeKind {
    return this.#table.kind(this.slot);
  }
  get session(): string | null {
    return this.#table.session(this.slot);
  }
  get connection(): number | null {
    return this.#table.connection(this.slot);
  }
  get service(): string | null {
    return this.#table.service(this.slot);
  }
  get server(): string | null {
    return this.#table.server(this.slot);
  }
  get method(): string {
    return this.#table.method(this.slot);
  }
  get uri(): string {
    return this.#table.uri(this.slot);
  }
  get status(): number | null {
    return this.#table.status(this.slot);
  }
  get requestStart(): number {
    return this.#table.requestStart(this.slot);
  }
  get error(): string | null {
    return this.#table.error(this.slot);
  }
  get errorCode(): ErrorCode | null {
    return this.#table.errorCode(this.slot);
  }
  get lossy(): boolean {
    return this.#table.lossy(this.slot);
  }
}
