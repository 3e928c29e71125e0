/** `exchange_log`: the live HTTP sessions table (DataMiner's), with data loss. */
import { z } from 'zod';
import { section } from './section.js';
import { size } from './units.js';

/** `4xx`, `5xx`, a status (`429`) or a range (`500-503`). */
const statusPattern = z
  .union([z.number().int().min(100).max(599), z.string().regex(/^([1-5]xx|[1-5]\d\d(-[1-5]\d\d)?)$/, 'expected 4xx, 5xx, a status such as 429, or a range such as 500-503')])
  .transform(String);

const thresholdPercent = z.number().min(0).max(100);
const enabled = z.boolean();
const maxEntries = z.number().int().min(1).max(1_000_000);

export const dataLossSection = section({
  threshold_percent: thresholdPercent.default(10).meta({ runtime: true })
    .describe('Data loss above this percentage puts `data_loss_state` in `error`.'),
  statuses: z.array(statusPattern).default(['4xx', '5xx'])
    .describe('Which response statuses count as lost data (exchanges that failed with no response always count).'),
}).prefault({});

export const exchangeLogSection = section({
  enabled: enabled.default(true).meta({ runtime: true }).describe('Record exchanges (DataMiner\'s "HTTP Sessions State").'),
  max_entries: maxEntries.default(1000).meta({ runtime: true })
    .describe('Most exchanges kept; the oldest go first (DataMiner\'s "HTTP Sessions Max Count").'),
  max_body_bytes: size().default(8192).describe('Bytes of each request and response body kept (the rest is counted, not kept).'),
  max_total_body_bytes: size().default(32 * 1024 * 1024)
    .describe('Ceiling of all kept bodies together; past it the oldest rows lose their bodies (rows stay). Bodies live in one ring of min(this, `max_entries` × 2 × `max_body_bytes`) bytes, allocated once; the whole log stays under that plus, for each of `max_entries` rows, 320 bytes + 1 byte per header field + the characters of its uri, reason and headers: under 17 MiB with the defaults and rows of a dozen header fields (under 39 MiB with 10,000 such rows and 8 KiB bodies; `npm run bench` measures it).'),
  redact_headers: z.array(z.string().min(1)).default(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])
    .describe('Header fields whose values are replaced by "[redacted]" in the log, the API and HAR exports.'),
  data_loss: dataLossSection.describe('Data loss: the share of exchanges in the table answered with an error.'),
  subscriber_queue: z.number().int().min(10).max(1_000_000).default(1000)
    .describe('Events a live subscriber (an SSE client) may fall behind by before it loses events (and is told so).'),
}).prefault({});

export type ExchangeLogConfig = z.output<typeof exchangeLogSection>;

/**
 * The fields that can change at run time (`PATCH /v1/exchange-log`): the same declarations as the file's,
 * each optional (absent: unchanged). Validated together: all apply, or none.
 */
export const exchangeLogPatch = z.strictObject({
  enabled: enabled.optional(),
  max_entries: maxEntries.optional(),
  threshold_percent: thresholdPercent.optional(),
});
export type ExchangeLogPatch = z.output<typeof exchangeLogPatch>;
