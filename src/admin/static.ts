/**
 * The web UI's files (built by Vite into web/dist), served by the admin server at `/` behind the same
 * authentication. No CDN: everything the page needs comes from here.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Content-Security-Policy of the UI: its own scripts and styles, API calls to itself only. */
export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** web/dist, one level above src/ or dist/ (the package root). */
export const UI_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sessiongate</title></head>
<body><h1>sessiongate</h1><p>The web UI is not built. Run <code>npm install</code> (or <code>npm run build</code>) in the checkout.</p>
<p>The admin API is at <a href="/v1/gateway">/v1/gateway</a>.</p></body></html>`;

/** Serves `path` from the UI's files; unknown paths get index.html (the UI routes itself). */
export async function serveUi(path: string, res: ServerResponse, root = UI_ROOT): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('malformed path');
    return;
  }
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  let file = root + rel;
  if (rel === '' || rel.endsWith(sep) || !extname(rel)) file = `${root}index.html`;
  if (!file.startsWith(root)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    const body = await readFile(file);
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Content-Security-Policy': UI_CSP,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(body);
  } catch {
    if (file.endsWith('index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': UI_CSP }).end(NOT_BUILT);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  }
}
