import { client } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../accounts/store';

export type DatadogConfiguration = client.Configuration;

export interface DatadogCallOptions {
  /** Per HTTP request; a call that pages makes several requests. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const FATAL_STATUSES = new Set([400, 401, 403, 404, 405, 409, 410, 413, 422]);

/** How a failed Datadog call should be treated by whoever retries it. */
export interface RetryAdvice {
  retryable: boolean;
  /** From the rate-limit headers of a 429: wait this long before the next attempt. */
  retryAfterMs?: number;
}

/** A failed Datadog call that says which account and which operation, and whether to retry. */
export class DatadogError extends Error {
  constructor(
    readonly account: string,
    readonly operation: string,
    readonly status: number | undefined,
    readonly advice: RetryAdvice,
    detail: string,
  ) {
    super(`Datadog ${operation} for account "${account}" failed${status ? ` with ${status}` : ''}: ${detail}`);
    this.name = 'DatadogError';
  }
}

/**
 * 429 waits for the rate-limit reset (x-ratelimit-reset is seconds, Retry-After likewise);
 * 5xx and network errors retry with backoff; client errors are the caller's fault and fail fast.
 */
export function adviseRetry(status: number | undefined, headers: Record<string, string> = {}): RetryAdvice {
  if (status === 429) {
    const seconds = Number(headers['x-ratelimit-reset'] ?? headers['retry-after']);
    return { retryable: true, ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}) };
  }
  if (status === undefined || status >= 500) return { retryable: true };
  return { retryable: !FATAL_STATUSES.has(status) };
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
      return errors.map((e) => (typeof e === 'string' ? e : (e as { detail?: string; title?: string }).detail ?? (e as { title?: string }).title ?? JSON.stringify(e))).join('; ');
    }
  }
  if (typeof body === 'string' && body !== '') return body.slice(0, 300);
  return (err as Error).message ?? String(err);
}

/**
 * Runs one Datadog operation with the official SDK for an account. Each HTTP request gets its
 * own timeout; a failure becomes a DatadogError that names the account and the operation and
 * carries the retry advice (including the rate-limit reset of a 429).
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
    throw new DatadogError(account.name, operation, status, adviseRetry(status, status !== undefined && status === seen.last?.status ? seen.last.headers : {}), detail);
  }
}
