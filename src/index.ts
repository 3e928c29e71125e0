/**
 * sessiongate as a library: the public API only.
 *
 * - the Connection server API (the Pony-style per-connection send API the gateway itself is built on);
 * - the configuration loader and the Gateway.
 */
export {
  Connection,
  IncomingRequest,
  Listener,
  ResponseBuilder,
  Responses,
  type ConnectionHandler,
  type ConnectionOptions,
  type ConnectionState,
  type HandlerFactory,
  type ListenerOptions,
  type OutgoingHeaders,
  type RequestId,
} from './listener/index.js';
export {
  ConfigError,
  loadConfigFile,
  parseConfigText,
  validateConfig,
  type ConfigIssue,
  type GatewayConfig,
  type GatewayConfigInput,
  type LoadedConfig,
} from './config/index.js';
export { Gateway, type GatewayOptions } from './gateway.js';
export { ERRORS, GatewayError, type ErrorCode } from './errors.js';
export { startDemoDataSource, type DemoDataSource, type DemoDataSourceOptions } from './demo/data-source.js';
