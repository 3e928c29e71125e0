/**
 * The backend of the benchmarks: a plain node:http origin server on 127.0.0.1, port 0.
 *   GET  /small   200 with a 100-byte JSON body
 *   POST /upload  reads the whole request body, then 200 with a small JSON body: {"received":BYTES}
 *   POST /echo    reads the whole request body, then 200 with the same body (and Content-Type)
 *   anything else 404
 */
import { createServer } from 'node:http';
import { serveHttp } from '../lib/child.js';
import { echo, routeTable, small, upload } from './routes.js';

serveHttp(createServer({ keepAliveTimeout: 30_000 }, routeTable({ 'GET /small': small, 'POST /upload': upload, 'POST /echo': echo })));
