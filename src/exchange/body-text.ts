/** How a captured body is shown: as text when it is UTF-8 text, as base64 otherwise (binary shown as such). */

export interface BodyView {
  text: string;
  encoding: 'utf8' | 'base64';
}

// Control characters other than tab, CR and LF mean binary.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]/;

export function bodyView(body: Buffer | null): BodyView | null {
  if (body === null || body.length === 0) return null;
  const text = body.toString('utf8');
  if (!BINARY.test(text)) return { text, encoding: 'utf8' };
  return { text: body.toString('base64'), encoding: 'base64' };
}

/**
 * A one-line preview for tables (DataMiner's "request data" / "response data" columns): the first `max`
 * characters, whitespace runs shown as one space. It is made from the start of the body only (`read(n)`
 * gives at most its first n bytes, of `kept`), four bytes per character first and twice as many while
 * that is not enough: a table of ten thousand rows with 8 KiB bodies is listed without decoding and scanning
 * 160 MiB. So "binary" means a control character (or invalid UTF-8) in the part the preview looked at.
 */
export function bodyPreview(read: (n: number) => Buffer | null, kept: number, max = 200): string | null {
  for (let n = Math.min(kept, 4 * max + 4); n > 0; n = Math.min(kept, 2 * n)) {
    const bytes = read(n);
    if (bytes === null || bytes.length === 0) return null;
    const cut = bytes.length < kept;
    const v = bodyView(cut ? wholeCharacters(bytes) : bytes);
    if (v === null) continue;
    if (v.encoding === 'base64') return `(binary, ${kept} bytes)`;
    const oneLine = v.text.replace(/\s+/g, ' ').trim();
    if (oneLine.length > max) return `${oneLine.slice(0, max)}…`;
    if (!cut) return oneLine;
  }
  return null;
}

/** `bytes` without a UTF-8 sequence cut off at its end (it would decode as U+FFFD, which means binary). */
function wholeCharacters(bytes: Buffer): Buffer {
  let lead = bytes.length - 1;
  // Back over at most three continuation bytes (10xxxxxx) to the sequence's first byte.
  while (lead > 0 && bytes.length - lead < 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const b = bytes[lead]!;
  const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size > bytes.length ? bytes.subarray(0, lead) : bytes;
}
