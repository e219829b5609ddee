import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
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

/**
 * Asks Temporal for the client's namespace within timeoutMs: resolves when it answers, rejects
 * saying why not. A namespace (not the server alone) is asked, so a wrong TEMPORAL_NAMESPACE fails too.
 */
export function pingTemporal(temporal: Client, timeoutMs: number): Promise<unknown> {
  const { namespace } = temporal.options;
  return temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.describeNamespace({ namespace }));
}

/** Whether Temporal answers, and whether it takes Rayne's setup, with why not. */
export type TemporalState = { state: 'ok' } | { state: 'unavailable' | 'not_configured'; reason: string };

/** Temporal's state as pingTemporal sees it: not_configured when it answered but refused Rayne's setup. */
export async function temporalState(temporal: Client, timeoutMs: number): Promise<TemporalState> {
  try {
    await pingTemporal(temporal, timeoutMs);
    return { state: 'ok' };
  } catch (err) {
    const problem = temporalConfigurationProblem(err);
    return problem ? { state: 'not_configured', reason: problem } : { state: 'unavailable', reason: (err as Error).message };
  }
}

// gRPC codes (google.rpc.Code) by which Temporal refuses Rayne's setup rather than one request.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
// As SQL and Elasticsearch visibility word it; a value too large for an attribute is the request's fault, not this.
const UNREGISTERED_SEARCH_ATTRIBUTE = /no mapping defined for search attribute|search attribute \S+ is not defined/i;

/**
 * What in Rayne's own setup Temporal refused (a namespace it does not have, credentials it does
 * not take, a search attribute not registered), or undefined when err says nothing about the setup.
 * Retrying cannot help until the setup is fixed, and the request itself was not at fault.
 */
export function temporalConfigurationProblem(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof NamespaceNotFoundError) return `Temporal has no namespace "${e.namespace}"; check TEMPORAL_NAMESPACE`;
    if (!isGrpcServiceError(e)) continue;
    const code: number = e.code;
    if (code === NOT_FOUND && /namespace/i.test(e.details)) return `${e.details}; check TEMPORAL_NAMESPACE`;
    if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) return `Temporal refused Rayne's credentials: ${e.details}`;
    if (code === INVALID_ARGUMENT && UNREGISTERED_SEARCH_ATTRIBUTE.test(e.details))
      return `${e.details}; register Rayne's search attributes with \`rayne migrate\` (TEMPORAL_ADDRESS set)`;
  }
  return undefined;
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
