/**
 * Connection server API: protocol upgrades. The handler sends a 101 itself, then takes the socket over with
 * upgradeProtocol(), getting the bytes the client sent after the request; a refused upgrade closes.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Responses } from '../../src/listener/index.js';
import { until, useHarness, type Seen } from '../helpers/connection-harness.js';

const { serve } = useHarness();

const UPGRADE = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`;
const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n';

/** Sends the 101 with the raw API, takes the socket over and echoes: a greeting, the early bytes, then all data. */
function acceptEcho(seen: Seen, taken: { socket: Socket | null; head: string | null; error?: unknown }): void {
  const { connection: c, request: r } = seen;
  c.sendRaw(r.id, Responses.builder().setStatus(101).addHeader('Upgrade', 'echo').addHeader('Connection', 'Upgrade').finishHeaders().build());
  const { socket, head } = c.upgradeProtocol(r.id);
  taken.socket = socket;
  taken.head = head.toString('latin1');
  socket.write('hello from server;');
  if (head.length > 0) socket.write(head);
  socket.on('data', (d: Buffer) => socket.write(d));
  socket.on('end', () => socket.end());
}

describe('upgradeProtocol', () => {
  it('switches protocols after a 101 and carries raw bytes both ways, the early ones included', async () => {
    const taken: { socket: Socket | null; head: string | null } = { socket: null, head: null };
    const { client, probe, server } = await serve({
      request(seen) {
        // Not synchronously: the early bytes are handed over once the request has been parsed.
        setImmediate(() => acceptEcho(seen, taken));
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/chat') + 'early;');
    await c.waitForText('early;');
    expect(taken.head).toBe('early;');
    c.write('ping;');
    await c.waitForText('ping;');
    expect(c.text).toBe(SWITCHING + 'hello from server;early;ping;');
    expect(probe.connections[0]!.upgraded).toBe(true);
    expect(probe.connections[0]!.state).toBe('upgraded');

    c.write(Buffer.from('\x00binary\xff;', 'latin1'));
    await c.waitForText('\x00binary\xff;');
    c.socket.end();
    await c.waitClosed();
    await until(() => server.listener.connections.size === 0, 'the listener to forget the connection');
    // The handler is not called again after the upgrade, not even closed().
    expect(probe.log()).toEqual(['request 1 GET /chat', 'finished 1']);
    expect(probe.seen[0]!.request.upgrade).toBe(true);
  });

  it('hands over the bytes the client sent in later packets before the upgrade was taken', async () => {
    const taken: { socket: Socket | null; head: string | null } = { socket: null, head: null };
    let pending: Seen | null = null;
    const { client, probe } = await serve({
      request(seen) {
        pending = seen;
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/later'));
    await until(() => pending !== null, 'the upgrade request');
    c.write('one;');
    await new Promise((r) => setTimeout(r, 30));
    c.write('two;');
    await new Promise((r) => setTimeout(r, 30));
    acceptEcho(pending!, taken);
    expect(taken.head).toBe('one;two;');
    await c.waitForText('two;');
    expect(c.text).toBe(SWITCHING + 'hello from server;one;two;');
    expect(probe.log().filter((e) => e.startsWith('request'))).toEqual(['request 1 GET /later']);
  });

  // Taken from inside request() (inside the parser's callback) the bytes after the request are not known yet:
  // they are pushed back into the socket and arrive as its first data instead of in `head`.
  it('hands over early bytes when the upgrade is taken synchronously from request()', async () => {
    const taken: { socket: Socket | null; head: string | null } = { socket: null, head: null };
    const { client } = await serve({
      request(seen) {
        acceptEcho(seen, taken);
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/sync') + 'early;');
    await c.waitForText('hello from server;');
    expect(taken.head).toBe('');
    await c.waitForText('early;', 1000); // echoed: the new protocol read the early bytes from the socket
  });

  it('still switches when the upgrade is taken synchronously from request() and the client waits for the 101', async () => {
    const taken: { socket: Socket | null; head: string | null } = { socket: null, head: null };
    const { client } = await serve({
      request(seen) {
        acceptEcho(seen, taken);
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/sync'));
    await c.waitForText('hello from server;');
    c.write('after;');
    await c.waitForText('after;');
    expect(c.text).toBe(SWITCHING + 'hello from server;after;');
    expect(taken.head).toBe('');
  });

  it('closes after a refused upgrade and does not parse what the client sent behind it', async () => {
    const { client, probe } = await serve({
      request(seen) {
        setImmediate(() => seen.connection.send(seen.request.id, 426, { 'Content-Type': 'text/plain' }, 'no thanks'));
      },
      finished() {},
    });
    const c = await client();
    // What follows the upgrade request might be the new protocol: it must not be read as HTTP.
    c.write(UPGRADE('/nope') + 'GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n');
    await c.waitClosed();
    const res = c.responses();
    expect(res.map((r) => [r.statusLine, r.body])).toEqual([['HTTP/1.1 426 Upgrade Required', 'no thanks']]);
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/nope']);
    await until(() => probe.closedCount === 1, 'closed()');
  });

  it('says Connection: close on the response that refuses an upgrade', async () => {
    const { client } = await serve({
      request(seen) {
        setImmediate(() => seen.connection.send(seen.request.id, 426, { 'Content-Type': 'text/plain' }, 'no thanks'));
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/nope'));
    await c.waitClosed();
    expect(c.responses()[0]!.header('connection')).toBe('close');
  });

  it('refuses to hand over the socket before a 101 has been sent', async () => {
    const errors: string[] = [];
    const { client } = await serve({
      request(seen) {
        try {
          seen.connection.upgradeProtocol(seen.request.id);
        } catch (err) {
          errors.push((err as Error).message);
        }
        setImmediate(() => seen.connection.send(seen.request.id, 400, {}, 'no'));
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/early'));
    await c.waitClosed();
    expect(errors).toEqual(['upgradeProtocol: send the 101 response for this upgrade request first']);
    expect(c.responses().map((r) => r.status)).toEqual([400]);
  });

  it('keeps the Connection: Upgrade header of a 101 sent with the simple API', async () => {
    const taken: { socket: Socket | null; head: string | null } = { socket: null, head: null };
    const { client } = await serve({
      request(seen) {
        setImmediate(() => {
          seen.connection.sendNoBody(seen.request.id, 101, { Upgrade: 'echo', Connection: 'Upgrade' });
          const { socket } = seen.connection.upgradeProtocol(seen.request.id);
          taken.socket = socket;
          socket.on('end', () => socket.end());
          socket.write('switched;');
        });
      },
      finished() {},
    });
    const c = await client();
    c.write(UPGRADE('/simple'));
    await c.waitForText('switched;');
    expect(c.text).toBe(SWITCHING + 'switched;');
  });
});
