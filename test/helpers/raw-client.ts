/** A raw TCP client: sends exact bytes and collects what comes back, for pipelining and malformed input. */
import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything received until the server closed or `waitMs` passed without data. */
  text: string;
  /** The server closed the connection. */
  closed: boolean;
}

export function openRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `data` (string or pieces sent with pauses) and reads until close or quiet for `quietMs`. */
export async function rawRequest(port: number, data: string | Buffer | (string | Buffer)[], options: { quietMs?: number; pauseMs?: number } = {}): Promise<RawExchange> {
  const socket = await openRaw(port);
  return rawOn(socket, data, options);
}

export function rawOn(socket: Socket, data: string | Buffer | (string | Buffer)[], options: { quietMs?: number; pauseMs?: number } = {}): Promise<RawExchange> {
  const quietMs = options.quietMs ?? 300;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    let closed = false;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
      if (!closed) socket.destroy();
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {});
    const pieces = Array.isArray(data) ? data : [data];
    void (async () => {
      for (const p of pieces) {
        if (socket.destroyed) return;
        socket.write(p);
        if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
      arm();
    })();
  });
}

/** Splits a byte stream of HTTP/1.1 responses into status lines (for order checks). */
export function statusLines(text: string): string[] {
  return text.split('\r\n').filter((l) => /^HTTP\/1\.[01] \d{3}/.test(l));
}
