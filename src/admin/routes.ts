/** The whole admin route table, in one place. */
import type { Route } from './route.js';
import { exchangeRoutes, type ExchangesDeps } from './resources/exchanges.js';
import { gatewayRoutes, type GatewayDeps } from './resources/gateway.js';
import { listenerRoutes, type ListenersDeps } from './resources/listeners.js';
import { metricsRoutes, type MetricsDeps } from './resources/metrics.js';
import { openApiRoute } from './resources/openapi.js';
import { serverRoutes, type ServersDeps } from './resources/servers.js';
import { serviceRoutes, type ServicesDeps } from './resources/services.js';
import { sessionRoutes, type SessionsDeps } from './resources/sessions.js';

export type AdminDeps = SessionsDeps & ExchangesDeps & ServicesDeps & ServersDeps & ListenersDeps & GatewayDeps & MetricsDeps;

/** Every route of the admin API, in matching order. */
export function routeTable(deps: AdminDeps): Route[] {
  const routes: Route[] = [
    openApiRoute(() => routes),
    ...gatewayRoutes(deps),
    ...sessionRoutes(deps),
    ...listenerRoutes(deps),
    ...serviceRoutes(deps),
    ...serverRoutes(deps),
    ...exchangeRoutes(deps),
    ...metricsRoutes(deps),
  ];
  return routes;
}
