/** `/v1/gateway`: the process itself: version, uptime, config source, store. */
import { json, type Route } from '../route.js';
import { GatewayJsonSchema, type GatewayJson } from '../serialize.js';

export interface GatewayDeps {
  gatewayInfo(): Promise<GatewayJson>;
}

export function gatewayRoutes(deps: GatewayDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/gateway',
      summary: 'The gateway: version, uptime, config source, store',
      response: GatewayJsonSchema,
      async handler() {
        return json(await deps.gatewayInfo());
      },
    },
  ];
}
