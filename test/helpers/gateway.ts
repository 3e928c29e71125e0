/** Starting a real gateway for a test, from a config object as a file would hold it (ports 0). */
import { validateConfig, type GatewayConfigInput } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';

export interface TestGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:PORT` of the first listener. */
  url: string;
  port: number;
  /** The admin API's base URL, when the admin server is enabled (`config.admin`). */
  adminUrl: string;
  stop(): Promise<void>;
}

type Partial<T> = { [K in keyof T]?: T[K] };

/**
 * A one-listener, one-service gateway in front of `servers` (URLs), with optional overrides. The admin
 * server is off unless `config.admin` turns it on (use `listen: 127.0.0.1:0`).
 */
export async function startGateway(
  servers: string[],
  overrides: { service?: Record<string, unknown>; listener?: Record<string, unknown>; config?: Partial<GatewayConfigInput> } = {},
): Promise<TestGateway> {
  const input = {
    admin: { enabled: false },
    listeners: [{ name: 'main', listen: '127.0.0.1:0', ...overrides.listener }],
    servers: servers.map((url, i) => ({ name: `s${i + 1}`, url })),
    services: [{ name: 'svc', listener: 'main', servers: servers.map((_, i) => `s${i + 1}`), ...overrides.service }],
    ...overrides.config,
  };
  return startGatewayFromConfig(input as GatewayConfigInput);
}

export async function startGatewayFromConfig(input: GatewayConfigInput): Promise<TestGateway> {
  const gateway = await Gateway.start(validateConfig(input, 'test'));
  const listener = gateway.listeners[0]!;
  return { gateway, url: listener.url, port: listener.address!.port, adminUrl: gateway.admin?.url ?? '', stop: () => gateway.stop(2000) };
}
