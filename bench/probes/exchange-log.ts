/**
 * Probe of the exchange log (issue 5): a full table of 10,000 rows with 8 KiB bodies stays under the memory
 * ceiling the documentation states, also after three times as many exchanges.
 */
import type { Probe, ProbeContext } from '../lib/probe-types.js';
import { atMost, info, runProbeChild } from '../lib/probes.js';
import type { ExchangeLogMemoryResult } from './exchange-log-memory-child.js';

/**
 * The documented ceiling (src/config/exchange-log.ts, `max_total_body_bytes`; src/exchange/exchange-log.ts):
 * the body ring (min(`max_total_body_bytes`, `max_entries` × 2 × `max_body_bytes`), here the former) plus, per
 * row, 320 bytes + 1 byte per header field + the characters of its uri, reason and header names and values.
 */
export const ROW_BYTES = 320;
export const FIELD_BYTES = 1;

const MiB = 1024 * 1024;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

export const exchangeLogMemory: Probe = {
  id: 'exchange-log-memory',
  group: 'exchange-log',
  title: 'A full exchange log with 8 KiB bodies',
  description:
    'The memory of a full exchange log: 10,000 rows (`max_entries: 10000`, the other settings at their ' +
    'defaults: `max_body_bytes` 8 KiB, `max_total_body_bytes` 32 MiB) whose requests and responses carry 8 KiB ' +
    'bodies, then after 30,000 exchanges (the table must stay bounded). A real Gateway from dist/, a backend ' +
    'answering 8 KiB and an undici client sending POSTs of 8 KiB with ordinary headers, in one fresh child ' +
    'process (`node --expose-gc`): the real recorder fills the real log. Memory: the V8 heap plus the Buffers ' +
    'outside it (the kept bodies), after full collections, beyond the same gateway after a warm-up and ' +
    '`clear()`. Goal: under the documented ceiling, `max_total_body_bytes` + `max_entries` × (320 B + 1 B ' +
    'per header field + the characters of the row\'s uri, reason and headers), computed for the rows measured.',
  seconds: () => 25,
  async run(ctx: ProbeContext) {
    const r = await runProbeChild<ExchangeLogMemoryResult>({ name: 'exchange-log-memory', file: 'exchange-log-memory-child.ts', timeoutMs: 240_000 }, ctx);
    const rowCeiling = ROW_BYTES + FIELD_BYTES * r.headerFields + r.textChars;
    const ceiling = r.maxTotalBodyBytes + r.maxEntries * rowCeiling;
    const total = (f: ExchangeLogMemoryResult['full']): number => f.heapBytes + f.externalBytes;
    const figures = [
      atMost(`memory of the full table (${int(r.maxEntries)} rows)`, total(r.full) / MiB, 'MiB', ceiling / MiB),
      atMost(`memory after ${int(r.tripled.records)} exchanges`, total(r.tripled) / MiB, 'MiB', ceiling / MiB),
      info('bytes per row, bodies included', total(r.full) / r.maxEntries, 'B'),
      info('bytes per row without its bodies', r.full.heapBytes / r.maxEntries, 'B', 'V8 heap'),
      info('kept bodies', r.tripled.keptBodyBytes / MiB, 'MiB', `max_total_body_bytes ${r.maxTotalBodyBytes / MiB} MiB`),
      info('rows that still have their bodies', r.tripled.rowsWithBodies, ''),
      info(`RSS growth after ${int(r.tripled.records)} exchanges`, r.tripled.rssBytes / MiB, 'MiB'),
    ];
    const details = [
      `Ceiling for these rows: ${int(r.maxTotalBodyBytes)} B of bodies + ${int(r.maxEntries)} × (${ROW_BYTES} + ${FIELD_BYTES} × ${r.headerFields} header fields + ` +
        `${r.textChars} characters) = ${int(ceiling)} B (${(ceiling / MiB).toFixed(1)} MiB).`,
      `Full table: ${int(r.full.rows)} rows, ${int(r.full.rowsWithBodies)} with their bodies, ${int(r.full.keptBodyBytes)} body bytes kept; ` +
        `heap +${int(r.full.heapBytes)} B, external +${int(r.full.externalBytes)} B, RSS +${int(r.full.rssBytes)} B.`,
      `After ${int(r.tripled.records)} exchanges: ${int(r.tripled.rows)} rows, ${int(r.tripled.rowsWithBodies)} with their bodies; ` +
        `heap +${int(r.tripled.heapBytes)} B, external +${int(r.tripled.externalBytes)} B, RSS +${int(r.tripled.rssBytes)} B ` +
        '(RSS for information: the allocator keeps memory freed by evicted bodies for reuse).',
      `Load: ${int(r.tripled.records)} POSTs with ${r.bodyBytes}-byte bodies both ways in ${r.seconds.toFixed(1)} s.`,
    ];
    return { figures, details };
  },
};
