export { Service, type ServiceCounters } from './service.js';
export { ServiceTable, hostWithoutPort } from './service-table.js';
export { normalizePath } from './normalize-path.js';
