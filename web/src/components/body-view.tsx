/** A kept request or response body: JSON pretty-printed, text as is, binary as a hex dump with its size. */
import type { ExchangeDetailJson } from '../lib/api.js';
import { bytes } from '../lib/format.js';

type Body = ExchangeDetailJson['request_body'];

export interface BodyViewProps {
  body: Body;
  size: number;
  truncated: boolean;
  evicted: boolean;
  contentType: string | null;
}

const HEX_BYTES = 256;

function hexDump(base64: string): string {
  const raw = atob(base64);
  const n = Math.min(raw.length, HEX_BYTES);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    let hex = '';
    let text = '';
    for (let i = off; i < Math.min(off + 16, n); i++) {
      const c = raw.charCodeAt(i);
      hex += c.toString(16).padStart(2, '0') + (i % 8 === 7 ? '  ' : ' ');
      text += c >= 0x20 && c < 0x7f ? raw[i] : '.';
    }
    lines.push(`${off.toString(16).padStart(6, '0')}  ${hex.padEnd(50)} ${text}`);
  }
  return lines.join('\n');
}

function pretty(text: string, contentType: string | null): { text: string; json: boolean } {
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return { text, json: false };
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), json: true };
  } catch {
    return { text, json: false };
  }
}

export function BodyView({ body, size, truncated, evicted, contentType }: BodyViewProps) {
  if (body === null) {
    if (size === 0) return <p class="muted-text body-note">No body.</p>;
    return <p class="muted-text body-note">{evicted ? `Body not kept: the log's memory ceiling dropped it (${bytes(size)}).` : `Body not kept (${bytes(size)}).`}</p>;
  }
  const note = truncated ? <p class="body-note">Truncated: the first {bytes(body.encoding === 'base64' ? atob(body.text).length : new TextEncoder().encode(body.text).length)} of {bytes(size)} were kept.</p> : null;
  if (body.encoding === 'base64') {
    const kept = atob(body.text).length;
    return (
      <div class="body body-binary">
        <p class="body-note">
          Binary body, {bytes(size)}{contentType ? ` (${contentType})` : ''}. {kept > HEX_BYTES ? `First ${HEX_BYTES} bytes as hex:` : 'As hex:'}
        </p>
        {note}
        <pre class="code hex">{hexDump(body.text)}</pre>
      </div>
    );
  }
  const shown = pretty(body.text, contentType);
  return (
    <div class="body">
      {note}
      <pre class={`code ${shown.json ? 'code-json' : ''}`} data-testid="body">{shown.text}</pre>
    </div>
  );
}
