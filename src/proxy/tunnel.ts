/** A protocol upgrade (WebSocket): the 101 goes to the client, then bytes flow both ways untouched. */
import type { Duplex } from 'node:stream';
import { Responses } from '../listener/index.js';
import type { RequestContext } from './request-context.js';

export function tunnel(ctx: RequestContext, headers: string[], upstream: Duplex): void {
  const builder = Responses.builder().setStatus(101, 'Switching Protocols');
  for (let i = 0; i < headers.length; i += 2) builder.addHeader(headers[i]!, headers[i + 1]!);
  builder.addHeader('Connection', 'Upgrade').addHeader('Upgrade', ctx.request.header('upgrade') ?? 'websocket');
  ctx.connection.sendRaw(ctx.id, builder.finishHeaders().build());
  const { socket: client, head } = ctx.connection.upgradeProtocol(ctx.id);
  if (head.length > 0) upstream.write(head);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
}
