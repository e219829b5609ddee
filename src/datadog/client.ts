import { client } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../accounts/store';
import { codeOfStatus, RayneFailure } from '../errors';

export type DatadogConfiguration = client.Configuration;

export interface DatadogCallOptions {
  /** Per HTTP request; a call that pages makes several requests. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** How long a 429 asks to wait for the rate-limit reset: x-ratelimit-reset, else Retry-After (both seconds). */
export function rateLimitResetMs(status: number | undefined, headers: Record<string, string>): number | undefined {
  if (status !== 429) return undefined;
  const seconds = Number(headers['x-ratelimit-reset'] ?? headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * A failed Datadog call that says which account and which operation; its code comes from the
 * status: a 429 waits for the reset, 5xx and network errors retry, client errors fail fast.
 */
export class DatadogError extends RayneFailure {
  constructor(account: string, operation: string, status: number | undefined, retryAfterMs: number | undefined, detail: string) {
    super(codeOfStatus(status), `Datadog ${operation} for account "${account}" failed${status ? ` with ${status}` : ''}: ${detail}`, {
      upstream: 'Datadog',
      account,
      operation,
      status,
      retryAfterMs,
    });
  }
}

/** The SDK's configuration for one account: its keys, its site (any URL, so a sandbox works), no SDK-side retries. */
export function datadogConfiguration(account: AccountCredentials, fetchImpl: typeof fetch): DatadogConfiguration {
  const configuration = client.createConfiguration({
    authMethods: { apiKeyAuth: account.apiKey, appKeyAuth: account.appKey },
    baseServer: new client.BaseServerConfiguration(account.baseUrl.replace(/\/+$/, ''), {}),
    fetch: fetchImpl,
    enableRetry: false,
  });
  // Operations Datadog marks unstable are refused client-side unless enabled; Rayne only reads and writes what it documents.
  for (const op of Object.keys(configuration.unstableOperations)) configuration.unstableOperations[op] = true;
  return configuration;
}

function errorDetail(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (body && typeof body === 'object') {
    const errors = (body as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map((e) =>
          typeof e === 'string'
            ? e
            : ((e as { detail?: string; title?: string }).detail ?? (e as { title?: string }).title ?? JSON.stringify(e)),
        )
        .join('; ');
    }
  }
  if (typeof body === 'string' && body !== '') return body.slice(0, 300);
  return (err as Error).message ?? String(err);
}

/**
 * Runs one Datadog operation with the official SDK for an account. Each HTTP request gets its
 * own timeout; a failure becomes a DatadogError that names the account and the operation and
 * carries the rate-limit reset of a 429.
 */
export async function callDatadog<T>(
  account: AccountCredentials,
  operation: string,
  call: (configuration: DatadogConfiguration) => Promise<T>,
  options: DatadogCallOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const seen: { last?: { status: number; headers: Record<string, string> } } = {};
  const timedFetch: typeof fetch = async (url, init) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    seen.last = { status: response.status, headers: Object.fromEntries(response.headers.entries()) };
    return response;
  };
  try {
    return await call(datadogConfiguration(account, timedFetch));
  } catch (err) {
    if (err instanceof DatadogError) throw err;
    const code = (err as { code?: unknown }).code;
    const status = typeof code === 'number' ? code : undefined;
    const detail = (err as Error).name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : errorDetail(err);
    const headers = status !== undefined && status === seen.last?.status ? seen.last.headers : {};
    throw new DatadogError(account.name, operation, status, rateLimitResetMs(status, headers), detail);
  }
}
