/**
 * Builds a complete response as a list of buffers for {@link Connection.sendRaw}, which writes it with one
 * vectored write (the seed's ResponseBuilder).
 *
 *   connection.sendRaw(id, Responses.builder().setStatus(200).addHeader('Content-Type', 'text/plain')
 *     .addHeader('Content-Length', '2').finishHeaders().addChunk('ok').build());
 *   connection.sendFinished(id);
 */
import { STATUS_CODES } from 'node:http';

export class ResponseBuilder {
  #head = '';
  #status = 200;
  #reason: string | undefined;
  #headersDone = false;
  #chunks: Buffer[] = [];

  setStatus(status: number, reason?: string): this {
    this.#status = status;
    this.#reason = reason;
    return this;
  }

  addHeader(name: string, value: string | number): this {
    if (this.#headersDone) throw new Error('headers already finished');
    const v = String(value);
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(v) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new TypeError(`invalid header field ${JSON.stringify(name)}`);
    }
    this.#head += `${name}: ${v}\r\n`;
    return this;
  }

  finishHeaders(): this {
    this.#headersDone = true;
    return this;
  }

  addChunk(data: string | Buffer): this {
    if (!this.#headersDone) throw new Error('call finishHeaders() before adding body chunks');
    this.#chunks.push(typeof data === 'string' ? Buffer.from(data) : data);
    return this;
  }

  build(): Buffer[] {
    const reason = this.#reason ?? STATUS_CODES[this.#status] ?? 'Unknown';
    return [Buffer.from(`HTTP/1.1 ${this.#status} ${reason}\r\n${this.#head}\r\n`, 'latin1'), ...this.#chunks];
  }
}

export const Responses = {
  builder(): ResponseBuilder {
    return new ResponseBuilder();
  },
};
