/** `GET /metrics`: Prometheus text format. */
import type { GatewayMetrics } from '../../metrics/metrics.js';
import type { Route } from '../route.js';

export interface MetricsDeps {
  metrics: GatewayMetrics;
}

export function metricsRoutes(deps: MetricsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics: requests, errors by code, latency per service and server, sessions, queues, logins, data loss, event-loop lag',
      handler() {
        return {
          stream: (res) => {
            deps.metrics.text().then(
              (text) => {
                res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Content-Length': Buffer.byteLength(text) });
                res.end(text);
              },
              () => {
                res.writeHead(500, { 'Content-Type': 'text/plain' });
                res.end('metrics unavailable\n');
              },
            );
          },
        };
      },
    },
  ];
}
