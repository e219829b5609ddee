import { Client, Connection } from '@temporalio/client';
import { clientInterceptors } from '../telemetry/temporal-telemetry';
import { RAYNE_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/**
 * gRPC waits between attempts to reconnect to a Temporal that went away. Its defaults grow to two
 * minutes (1 s × 1.6 per failure), and a call in that wait fails without trying, so after an outage
 * of a minute the API kept answering 503 for half a minute more. One dial a second to a server
 * that is down costs nothing.
 */
const RECONNECT_CHANNEL_ARGS = { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 1000 } as const;

/**
 * A client over a lazy connection: the API starts even while Temporal is down, and each call
 * reconnects (within a second of Temporal's return), so pending events can be started when it
 * returns. When traced, each start or signal is a span whose context the workflow continues.
 */
export function createLazyClient({ address, namespace }: TemporalTarget): Client {
  const connection = Connection.lazy({ address, channelArgs: RECONNECT_CHANNEL_ARGS });
  return new Client({ connection, namespace, interceptors: clientInterceptors() });
}

/** Asks Temporal for its system info within timeoutMs: resolves when it answers, rejects saying why not. */
export function pingTemporal(temporal: Client, timeoutMs: number): Promise<unknown> {
  return temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.getSystemInfo({}));
}

/** Waits until Temporal answers, polling until the deadline. */
export async function waitForTemporal({ address }: TemporalTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Registers Rayne's custom search attributes in the namespace when missing (idempotent). */
export async function ensureSearchAttributes({ address, namespace }: TemporalTarget): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = RAYNE_SEARCH_ATTRIBUTES.filter((key) => !customAttributes?.[key.name]);
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        // 2 is INDEXED_VALUE_TYPE_KEYWORD; every Rayne attribute is a keyword.
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, 2])),
      });
    }
    return missing.map((key) => key.name);
  } finally {
    await connection.close();
  }
}
