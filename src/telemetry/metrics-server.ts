import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../errors';
import { exposition, METRICS_CONTENT_TYPE, type MetricsSource } from './metrics';

export interface MetricsServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A small HTTP server answering GET /metrics with the sources' Prometheus text (a worker has no
 * API to serve it). Port 0 picks a free port; the URL says which. Throws StartupError when the
 * port is taken.
 */
export async function startMetricsServer(host: string, port: number, sources: MetricsSource[]): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://metrics').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    exposition(sources).then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new StartupError(`worker metrics cannot listen on ${host}:${port} (RAYNE_WORKER_METRICS_PORT): ${err.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${(server.address() as AddressInfo).port}/metrics`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
