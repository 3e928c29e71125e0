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
export {
  createSessionClient,
  type ClientReuse,
  type ExchangeScope,
  type RequestInput,
  type SessionClient,
  type SessionClientOptions,
  type SessionResponse,
} from './client/session-client.js';
export { ExchangeLog, type DataLoss, type ExchangeLogEvent, type ExchangeLogOptions, type Subscription } from './exchange/exchange-log.js';
export { Exchange, type ExchangeFields, type ExchangeKind } from './exchange/exchange.js';
export { toHar } from './exchange/har.js';
export type { UpstreamContext, ContextStats, ContextState } from './upstream/upstream-context.js';
export type { LoginClient, LoginFunction, LoginInfo } from './upstream/auth.js';
