import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Answers the next requests with these statuses, then 200s. */
  failWith(...statuses: number[]): void;
  /** Holds each answer this long (a slow receiver), so a test can act while a request is in flight. */
  holdMs: number;
  close(): Promise<void>;
}

/** A loopback HTTP receiver (notify server, forward target, Slack incoming webhook) that records what it got. */
export function startSink(answer = 'ok'): Promise<Sink> {
  const failures: number[] = [];
  const requests: SinkRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = failures.shift() ?? 200;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? answer : 'failure');
      }, sink.holdMs);
    });
  });
  const sink: Sink = {
    url: '', requests, holdMs: 0,
    failWith: (...statuses) => failures.push(...statuses),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(sink);
    }),
  );
}
