/** The whole admin route table, in one place. */
import type { Route } from './route.js';
import { sessionRoutes, type SessionsDeps } from './resources/sessions.js';

export type AdminDeps = SessionsDeps;

export function routeTable(deps: AdminDeps): Route[] {
  return [...sessionRoutes(deps)];
}
