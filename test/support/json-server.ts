import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface JsonServer {
  url: string;
  close(): Promise<void>;
}

/** A loopback HTTP server answering JSON requests with JSON, for simulators of provider APIs. */
export async function startJsonServer(handle: (request: JsonRequest) => JsonResponse): Promise<JsonServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://simulator');
      const text = Buffer.concat(chunks).toString('utf8');
      let response: JsonResponse;
      try {
        response = handle({
          method: req.method ?? 'GET',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          body: text ? JSON.parse(text) : undefined,
        });
      } catch (err) {
        response = { status: 500, body: { error: (err as Error).message } };
      }
      res.writeHead(response.status, { 'content-type': 'application/json' }).end(JSON.stringify(response.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
