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

/** A one-line preview for tables (DataMiner's "request data" / "response data" columns). */
export function bodyPreview(body: Buffer | null, max = 200): string | null {
  const v = bodyView(body);
  if (v === null) return null;
  if (v.encoding === 'base64') return `(binary, ${body!.length} bytes)`;
  const oneLine = v.text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
