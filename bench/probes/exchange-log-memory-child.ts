/**
 * Probe child of `exchange-log-memory`: the memory of a full exchange log of 10,000 rows whose requests and
 * responses carry 8 KiB bodies, and after three times as many exchanges (30,000: the table must stay bounded).
 * A real Gateway (from dist/) with `exchange_log.max_entries: 10000` and the defaults otherwise
 * (`max_body_bytes` 8 KiB, `max_total_body_bytes` 32 MiB), in front of a backend in this process that
 * answers every request with 8 KiB; the requests (POST, 8 KiB bodies, ordinary headers) go through the
 * gateway's listener, so the real recorder fills the real log. Memory is the V8 heap plus Buffers outside it
 * (`external`: the kept bodies), after full collections, beyond the baseline of the same gateway after a
 * warm-up and `clear()`.
 */
import { memoryAfterGc, premise, probeChild } from '../lib/probe-child.js';
import { createLoad, gatewayConfig, startBackend, startGateway } from './in-process.js';

export interface LogFill {
  records: number;
  rows: number;
  rowsWithBodies: number;
  keptBodyBytes: number;
  heapBytes: number;
  externalBytes: number;
  rssBytes: number;
}

export interface ExchangeLogMemoryResult {
  maxEntries: number;
  maxBodyBytes: number;
  maxTotalBodyBytes: number;
  bodyBytes: number;
  /** One row's header fields (request + response), and the characters of its uri, reason and header names and values. */
  headerFields: number;
  textChars: number;
  full: LogFill;
  tripled: LogFill;
  seconds: number;
}

const MAX_ENTRIES = 10_000;
const BODY = 8 * 1024;

probeChild<ExchangeLogMemoryResult>(async (cleanup) => {
  const responseBody = Buffer.alloc(BODY, 'r');
  const requestBody = Buffer.alloc(BODY, 'q');
  const backend = await startBackend((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(responseBody);
  });
  cleanup(() => backend.close());
  const { gateway, url } = await startGateway(gatewayConfig(backend.url, {}, { exchange_log: { enabled: true, max_entries: MAX_ENTRIES } }));
  cleanup(() => gateway.stop(0));
  const log = gateway.log;
  const load = createLoad(url, 16);
  cleanup(() => load.close());
  const send = (n: number): Promise<number> =>
    load.run(
      n,
      (i) => ({
        method: 'POST',
        path: `/api/orders/${i}?expand=items`,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': 'sessiongate-bench/1.0',
          authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl',
        },
        body: requestBody,
      }),
      (res, body) => {
        premise(res.statusCode === 200, `the gateway answered ${res.statusCode}`);
        premise(body.length === BODY, `a response body of ${body.length} bytes, expected ${BODY}`);
      },
    );

  // The warm-up runs with recording off, so that the baseline holds nothing of the log (its body ring is
  // allocated by the first recorded body and stays: it belongs in the measurement).
  log.configure({ enabled: false });
  await send(1_000);
  log.configure({ enabled: true });
  log.clear();
  const before = await memoryAfterGc();
  const fill = async (): Promise<LogFill> => {
    const m = await memoryAfterGc();
    const rows = log.list();
    return {
      records: log.recorded,
      rows: rows.length,
      rowsWithBodies: rows.filter((r) => r.requestBody !== null || r.responseBody !== null).length,
      keptBodyBytes: log.keptBodyBytes,
      heapBytes: m.heapUsed - before.heapUsed,
      externalBytes: m.external - before.external,
      rssBytes: m.rss - before.rss,
    };
  };
  const recordedBefore = log.recorded;
  let seconds = await send(MAX_ENTRIES);
  const full = await fill();
  full.records -= recordedBefore;
  premise(full.rows === MAX_ENTRIES, `${full.rows} rows after ${MAX_ENTRIES} exchanges`);
  const newest = log.list().at(-1)!;
  premise(
    newest.requestBody?.length === BODY && newest.responseBody?.length === BODY,
    `the newest row kept ${newest.requestBody?.length ?? 0} + ${newest.responseBody?.length ?? 0} body bytes, expected ${BODY} + ${BODY}`,
  );
  const headers = [...newest.requestHeaders, ...(newest.responseHeaders ?? [])];
  const textChars = headers.reduce((n, s) => n + s.length, newest.uri.length + (newest.reason?.length ?? 0));

  seconds += await send(2 * MAX_ENTRIES);
  const tripled = await fill();
  tripled.records -= recordedBefore;
  premise(tripled.records === 3 * MAX_ENTRIES, `${tripled.records} exchanges recorded, expected ${3 * MAX_ENTRIES}`);
  premise(tripled.rows === MAX_ENTRIES, `${tripled.rows} rows after ${3 * MAX_ENTRIES} exchanges`);
  premise(log.keptBodyBytes <= log.maxTotalBodyBytes, `${log.keptBodyBytes} body bytes kept, more than the ceiling ${log.maxTotalBodyBytes}`);
  return {
    maxEntries: log.maxEntries,
    maxBodyBytes: log.maxBodyBytes,
    maxTotalBodyBytes: log.maxTotalBodyBytes,
    bodyBytes: BODY,
    headerFields: headers.length / 2,
    textChars,
    full,
    tripled,
    seconds,
  };
});
