/**
 * The path a service sees: dot segments (also percent-encoded ones, `%2e%2e`) resolved as RFC 3986 §5.2.4
 * says, so that `/api/../admin` can never match the `/api` service or reach past its prefix. Returns null for
 * paths no origin server should receive (NUL bytes, backslashes, encoded slashes next to dots).
 */

const ENCODED_DOT = /%2e/gi;

export function normalizePath(raw: string): string | null {
  if (raw.length === 0 || raw[0] !== '/') return null;
  if (raw.includes('\\') || /%00/.test(raw) || /%5c/i.test(raw)) return null;
  let path = raw;
  if (path.includes('%')) {
    if (/%2f/i.test(path) && /\.|%2e/i.test(path)) return null;
    path = path.replace(ENCODED_DOT, '.');
  }
  if (!path.includes('/.')) return path;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    // A path parameter does not hide a dot segment: servlet containers read `..;x` as `..`, so do we.
    const raw = segments[i]!;
    const semi = raw.indexOf(';');
    const seg = semi >= 0 && (raw.startsWith('.;') || raw.startsWith('..;')) ? raw.slice(0, semi) : raw;
    const last = i === segments.length - 1;
    if (seg === '.') {
      if (last) out.push('');
    } else if (seg === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  }
  return `/${out.join('/')}`;
}
