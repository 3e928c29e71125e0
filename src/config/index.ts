export { loadConfigFile, parseConfigText, validateConfig, type LoadedConfig, type LoadOptions } from './load.js';
export { ConfigError, formatIssue, formatPath, type ConfigIssue } from './issues.js';
export { configSchema, type GatewayConfig, type GatewayConfigInput } from './schema.js';
export type { ListenerConfig, ListenerLimits, ListenerTimeouts } from './listener.js';
export type { ServerConfig } from './server.js';
export type { ServiceConfig } from './service.js';
export type { UpstreamConfig } from './upstream.js';
export type { AdminConfig } from './admin.js';
export { parseDuration, parseSize, parseListen, formatListen, isLoopbackHost, type ListenAddress } from './units.js';
