/** "Copy as curl": the request as the server received it, without the headers the log redacted. */
import type { ExchangeDetailJson } from './api.js';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Headers curl sets itself, or that would be wrong to replay. */
const SKIP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

export function toCurl(ex: ExchangeDetailJson, origin: string): string {
  const parts = ['curl'];
  if (ex.method !== 'GET' || ex.request_body !== null) parts.push('-X', ex.method);
  parts.push(quote(origin.replace(/\/+$/, '') + ex.uri));
  const redacted: string[] = [];
  for (const [name, value] of ex.request_headers) {
    if (SKIP.has(name.toLowerCase())) continue;
    if (value === '[redacted]') {
      redacted.push(name.toLowerCase());
      continue;
    }
    parts.push('-H', quote(`${name}: ${value}`));
  }
  if (ex.request_body !== null) {
    if (ex.request_body.encoding === 'utf8') parts.push('--data-raw', quote(ex.request_body.text));
    else parts.push('--data-binary', '@body.bin');
  }
  const notes: string[] = [];
  if (redacted.length > 0) notes.push(`# left out (redacted in the log): ${[...new Set(redacted)].join(', ')}`);
  if (ex.request_body_truncated) notes.push(`# the body was truncated in the log (${ex.request_body_size} bytes sent)`);
  if (ex.request_body?.encoding === 'base64') notes.push('# binary body: save it as body.bin');
  return [...notes, parts.join(' ')].join('\n');
}
