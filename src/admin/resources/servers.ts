/** `/v1/servers`: the backends, their state (up, down, draining), traffic, errors and data loss. */
import { z } from 'zod';
import type { ExchangeLog } from '../../exchange/exchange-log.js';
import type { Server } from '../../upstream/server.js';
import { AdminError } from '../admin-error.js';
import { sliceRange } from '../query.js';
import { json, type AdminRequest, type Route } from '../route.js';
import { serverJson, ServerJsonSchema } from '../serialize.js';

export interface ServersDeps {
  servers: ReadonlyMap<string, Server>;
  log: ExchangeLog;
}

const patchBody = z.strictObject({
  state: z.enum(['up', 'draining']).describe('`draining`: routers send it no new requests; `up`: back in service.'),
});

export function serverRoutes(deps: ServersDeps): Route[] {
  const find = (req: AdminRequest): Server => {
    const s = deps.servers.get(req.params.name!);
    if (s === undefined) throw new AdminError(404, `no server named "${req.params.name}"`);
    return s;
  };
  return [
    {
      method: 'GET',
      path: '/v1/servers',
      summary: 'The servers',
      list: true,
      response: z.array(ServerJsonSchema),
      handler(req) {
        const all = [...deps.servers.values()].map((s) => serverJson(s, deps.log));
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
    {
      method: 'GET',
      path: '/v1/servers/:name',
      summary: 'One server',
      response: ServerJsonSchema,
      handler(req) {
        return json(serverJson(find(req), deps.log));
      },
    },
    {
      method: 'PATCH',
      path: '/v1/servers/:name',
      summary: 'Drain a server (no new requests) or put it back in service',
      body: patchBody,
      response: ServerJsonSchema,
      handler(req) {
        const s = find(req);
        const body = req.body as z.output<typeof patchBody>;
        s.setDraining(body.state === 'draining');
        if (body.state === 'up') s.markUp();
        return json(serverJson(s, deps.log));
      },
    },
  ];
}
