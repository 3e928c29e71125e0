/** Body previews read only the start of a body, and give what a preview of the whole body would give. */
import { describe, expect, it } from 'vitest';
import { bodyPreview, bodyView } from '../../../src/exchange/body-text.js';

/** The preview as the whole body would give it (the rule: first 200 characters, whitespace runs as one space). */
function wholePreview(body: Buffer, max = 200): string | null {
  const v = bodyView(body);
  if (v === null) return null;
  if (v.encoding === 'base64') return `(binary, ${body.length} bytes)`;
  const oneLine = v.text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** bodyPreview over `body`, recording how many bytes it asked for. */
function preview(body: Buffer, max = 200): { text: string | null; asked: number[] } {
  const asked: number[] = [];
  const text = bodyPreview((n) => {
    asked.push(n);
    return body.length === 0 ? null : body.subarray(0, n);
  }, body.length, max);
  return { text, asked };
}

describe('bodyPreview', () => {
  it('reads the first 804 bytes of an 8 KiB body, not all of it', () => {
    const body = Buffer.from(JSON.stringify({ data: 'x'.repeat(8200) }));
    const { text, asked } = preview(body);
    expect(text).toBe(wholePreview(body));
    expect(text).toHaveLength(201);
    expect(asked).toEqual([804]);
  });

  it('reads on while whitespace runs leave too few characters', () => {
    const body = Buffer.from(`{\n${' '.repeat(3000)}"a": "${'y'.repeat(300)}"\n}`);
    const { text, asked } = preview(body);
    expect(text).toBe(wholePreview(body));
    expect(asked).toEqual([804, 1608, 3216]);
  });

  it('does not take a character cut at the end of what it read for binary', () => {
    // 'é' is two bytes and '€' three: cuts fall inside them at every length.
    for (const unit of ['é', '€', '😀']) {
      for (let pad = 0; pad < 4; pad++) {
        const body = Buffer.from('a'.repeat(pad) + unit.repeat(1000));
        expect(preview(body).text).toBe(wholePreview(body));
      }
    }
  });

  it('gives short bodies, binary bodies and no body as before', () => {
    for (const body of [Buffer.from('{"got":7}'), Buffer.from('  two\n\nlines  '), Buffer.from([0, 1, 2, 3, 200, 255]), Buffer.alloc(5000, 1)]) {
      expect(preview(body).text).toBe(wholePreview(body));
    }
    expect(preview(Buffer.alloc(0)).text).toBeNull();
    expect(preview(Buffer.from('short'), 3).text).toBe('sho…');
  });
});
