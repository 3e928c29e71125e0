export { AdminServer } from './admin-server.js';
export { routeTable, type AdminDeps } from './routes.js';
export { AdminError } from './admin-error.js';
export type { Route, AdminRequest, AdminResult } from './route.js';
export { parseFields, parseRange, pickFields } from './query.js';
