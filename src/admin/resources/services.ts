/** `/v1/services`: the services, their policies, routers, filters, servers, counters and data loss. */
import { z } from 'zod';
import type { ExchangeLog } from '../../exchange/exchange-log.js';
import type { Service } from '../../service/index.js';
import { AdminError } from '../admin-error.js';
import { sliceRange } from '../query.js';
import { json, type AdminRequest, type Route } from '../route.js';
import { connectionJson, ConnectionJsonSchema, serviceJson, ServiceJsonSchema } from '../serialize.js';

export interface ServicesDeps {
  services: readonly Service[];
  log: ExchangeLog;
}

export function serviceRoutes(deps: ServicesDeps): Route[] {
  const find = (req: AdminRequest): Service => {
    const s = deps.services.find((svc) => svc.name === req.params.name);
    if (s === undefined) throw new AdminError(404, `no service named "${req.params.name}"`);
    return s;
  };
  return [
    {
      method: 'GET',
      path: '/v1/services',
      summary: 'The services',
      list: true,
      response: z.array(ServiceJsonSchema),
      handler(req) {
        const all = deps.services.map((s) => serviceJson(s, deps.log));
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
    {
      method: 'GET',
      path: '/v1/services/:name',
      summary: 'One service, with its service-scope upstream contexts',
      response: ServiceJsonSchema,
      handler(req) {
        return json(serviceJson(find(req), deps.log));
      },
    },
    {
      method: 'GET',
      path: '/v1/services/:name/connections',
      summary: 'The service-scope upstream contexts (reuse "service")',
      list: true,
      response: z.array(ConnectionJsonSchema),
      handler(req) {
        const all = find(req).upstream.shared.map(connectionJson);
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
  ];
}
