import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answers the next requests with these statuses, then 200s. */
  failWith(...statuses: number[]): void;
  /** Holds each answer this long (a slow receiver), so a test can act while a request is in flight. */
  holdMs: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP receiver that stands in for a notify server, a forward target or a Slack
 * incoming webhook, and records what it got: `rayne demo` shows it, tests assert on it.
 */
export function startReceiver(answer = 'ok'): Promise<Receiver> {
  const failures: number[] = [];
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = failures.shift() ?? 200;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? answer : 'failure');
      }, receiver.holdMs);
    });
  });
  const receiver: Receiver = {
    url: '',
    requests,
    holdMs: 0,
    failWith: (...statuses) => failures.push(...statuses),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(receiver);
    }),
  );
}
