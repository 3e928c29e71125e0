/**
 * Listener: an address where clients connect (optionally TLS). Accepts sockets, wraps each in a
 * {@link Connection}, enforces `max_connections`, runs the client-side timeouts and closes gracefully.
 */
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { formatListen, parseListen, type ListenAddress } from '../config/units.js';
import { Connection, type ConnectionOptions, type HandlerFactory } from './connection.js';

export interface ListenerOptions {
  name: string;
  /** `host:port`; port 0 picks a free port. */
  listen: string;
  tls?: { cert: string; key: string } | undefined;
  maxConnections: number;
  limits: { maxHeaderCount: number; maxHeaderSize: number; maxUriLength: number; maxBodySize: number; maxInFlight: number };
  timeouts: { headers: number; request: number; keepAlive: number; send: number };
}

const SWEEP_INTERVAL_MS = 500;

export class Listener {
  readonly name: string;
  readonly secure: boolean;
  #options: ListenerOptions;
  #server: NetServer;
  #connections = new Set<Connection>();
  #connectionOptions: ConnectionOptions;
  #factory: HandlerFactory;
  #sweep: NodeJS.Timeout | null = null;
  #address: ListenAddress | null = null;
  #accepted = 0;
  #refused = 0;
  #closing = false;

  constructor(options: ListenerOptions, factory: HandlerFactory) {
    this.name = options.name;
    this.#options = options;
    this.#factory = factory;
    this.secure = options.tls !== undefined;
    this.#connectionOptions = { ...options.limits, timeouts: options.timeouts, secure: this.secure, listener: options.name };
    const onSocket = (socket: Socket) => this.#accept(socket);
    this.#server = options.tls
      ? createTlsServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key), allowHalfOpen: true }, onSocket)
      : createNetServer({ allowHalfOpen: true, noDelay: true }, onSocket);
    // TLS handshake failures and the like concern one client, not the listener.
    this.#server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  }

  /** Starts listening; resolves with the bound address (the real port when 0 was asked). */
  async listen(): Promise<ListenAddress> {
    const { host, port } = parseListen(this.#options.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const info = this.#server.address() as AddressInfo;
    this.#address = { host: info.address, port: info.port };
    this.#sweep = setInterval(() => this.#checkTimeouts(), SWEEP_INTERVAL_MS);
    this.#sweep.unref();
    return this.#address;
  }

  get address(): ListenAddress | null {
    return this.#address;
  }

  /** `http://127.0.0.1:8080` */
  get url(): string {
    const a = this.#address ?? parseListen(this.#options.listen);
    const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
    return `${this.secure ? 'https' : 'http'}://${formatListen({ host, port: a.port })}`;
  }

  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  get stats(): { accepted: number; refused: number; active: number } {
    return { accepted: this.#accepted, refused: this.#refused, active: this.#connections.size };
  }

  get options(): ListenerOptions {
    return this.#options;
  }

  #accept(socket: Socket): void {
    if (this.#closing || this.#connections.size >= this.#options.maxConnections) {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#accepted++;
    socket.on('error', () => {}); // errors are handled by the Connection; never crash on a client's reset
    const connection = new Connection(socket, this.#factory, this.#connectionOptions);
    this.#connections.add(connection);
    connection.onClose = () => this.#connections.delete(connection);
  }

  #checkTimeouts(): void {
    const now = Date.now();
    for (const c of this.#connections) c.checkTimeouts(now);
  }

  /**
   * Graceful close: stop accepting, let in-flight requests finish (their responses carry
   * `Connection: close`), close idle Connections at once, destroy what remains at the deadline.
   */
  async close(deadlineMs: number): Promise<void> {
    this.#closing = true;
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const c of this.#connections) c.drain();
    const deadline = Date.now() + deadlineMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of this.#connections) c.dispose();
    if (this.#sweep) clearInterval(this.#sweep);
    await serverClosed;
  }
}
