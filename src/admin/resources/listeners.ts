/** `/v1/listeners` and `/v1/connections`: where clients connect, and the client TCP connections. */
import { z } from 'zod';
import type { Connection, Listener } from '../../listener/index.js';
import type { Service } from '../../service/index.js';
import { AdminError } from '../admin-error.js';
import { sliceRange } from '../query.js';
import { json, noContent, type AdminRequest, type Route } from '../route.js';
import { clientConnectionJson, ClientConnectionJsonSchema, listenerJson, ListenerJsonSchema } from '../serialize.js';

export interface ListenersDeps {
  listeners: readonly Listener[];
  services: readonly Service[];
}

const connectionQuery = z.strictObject({
  listener: z.string().optional().describe('Only connections of this listener.'),
  session: z.string().optional().describe('Only connections that carried this session (public id).'),
});

export function listenerRoutes(deps: ListenersDeps): Route[] {
  const findListener = (req: AdminRequest): Listener => {
    const l = deps.listeners.find((x) => x.name === req.params.name);
    if (l === undefined) throw new AdminError(404, `no listener named "${req.params.name}"`);
    return l;
  };
  const allConnections = (): Connection[] => deps.listeners.flatMap((l) => [...l.connections]).sort((a, b) => a.id - b.id);
  const findConnection = (req: AdminRequest): Connection => {
    const c = allConnections().find((x) => String(x.id) === req.params.id);
    if (c === undefined) throw new AdminError(404, `no open connection with id "${req.params.id}"`);
    return c;
  };
  return [
    {
      method: 'GET',
      path: '/v1/listeners',
      summary: 'The listeners',
      list: true,
      response: z.array(ListenerJsonSchema),
      handler(req) {
        const all = deps.listeners.map((l) => listenerJson(l, deps.services));
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
    {
      method: 'GET',
      path: '/v1/listeners/:name',
      summary: 'One listener',
      response: ListenerJsonSchema,
      handler(req) {
        return json(listenerJson(findListener(req), deps.services));
      },
    },
    {
      method: 'GET',
      path: '/v1/connections',
      summary: 'The open client connections',
      list: true,
      query: connectionQuery,
      response: z.array(ClientConnectionJsonSchema),
      handler(req) {
        const q = req.args as z.output<typeof connectionQuery>;
        const all = allConnections()
          .filter((c) => q.listener === undefined || c.listener === q.listener)
          .filter((c) => q.session === undefined || c.sessions.includes(q.session))
          .map(clientConnectionJson);
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
    {
      method: 'GET',
      path: '/v1/connections/:id',
      summary: 'One client connection',
      response: ClientConnectionJsonSchema,
      handler(req) {
        return json(clientConnectionJson(findConnection(req)));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/connections/:id',
      summary: 'Close a client connection now (its in-flight requests are cancelled)',
      status: 204,
      handler(req) {
        findConnection(req).dispose();
        return noContent();
      },
    },
  ];
}
