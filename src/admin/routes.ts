/** The whole admin route table, in one place. */
import type { Route } from './route.js';
import { exchangeRoutes, type ExchangesDeps } from './resources/exchanges.js';
import { serviceRoutes, type ServicesDeps } from './resources/services.js';
import { sessionRoutes, type SessionsDeps } from './resources/sessions.js';

export type AdminDeps = SessionsDeps & ExchangesDeps & ServicesDeps;

export function routeTable(deps: AdminDeps): Route[] {
  return [...sessionRoutes(deps), ...exchangeRoutes(deps), ...serviceRoutes(deps)];
}
