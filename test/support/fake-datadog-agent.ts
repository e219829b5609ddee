import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode } from '@msgpack/msgpack';

/** A span as dd-trace sends it to the agent (the v0.4 msgpack format); ids are unsigned 64-bit. */
export interface AgentSpan {
  trace_id: bigint;
  span_id: bigint;
  parent_id: bigint;
  name: string;
  resource: string;
  service: string;
  error: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
}

export interface FakeAgent {
  url: string;
  spans: AgentSpan[];
  /** Every request, as "METHOD /path", for checking what dd-trace asked of the agent. */
  requests: string[];
  /** From now on, resets every connection (an agent that went away) and counts the trace payloads it dropped. */
  goAway(): void;
  /** Trace payloads dropped since goAway(). */
  droppedPayloads(): number;
  close(): Promise<void>;
}

const toBigInt = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/**
 * A loopback stand-in for the Datadog agent: accepts dd-trace's PUT /v0.4/traces (msgpack) and
 * keeps the spans; answers the agent's other endpoints (info, remote config, telemetry) the way
 * an agent without those features would.
 */
export async function startFakeAgent(): Promise<FakeAgent> {
  const spans: AgentSpan[] = [];
  const requests: string[] = [];
  let away = false;
  let dropped = 0;
  const server = http.createServer((req, res) => {
    if (away) {
      if (req.url?.startsWith('/v0.4/traces')) dropped += 1;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://agent').pathname;
      requests.push(`${req.method} ${path}`);
      if (path === '/v0.4/traces') {
        const traces = decode(Buffer.concat(chunks), { useBigInt64: true }) as Array<Array<Record<string, unknown>>>;
        for (const trace of traces) {
          for (const s of trace) {
            spans.push({
              ...(s as unknown as AgentSpan),
              trace_id: toBigInt(s.trace_id),
              span_id: toBigInt(s.span_id),
              parent_id: toBigInt(s.parent_id),
              meta: (s.meta ?? {}) as Record<string, string>,
              metrics: (s.metrics ?? {}) as Record<string, number>,
            });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    goAway: () => {
      away = true;
      server.closeIdleConnections();
    },
    droppedPayloads: () => dropped,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
