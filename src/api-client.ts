/** The one HTTP client of Rayne's own API, for the CLI's API commands, `rayne demo` and `rayne eval`. */

/** Thrown when the API cannot be reached at all (refused, unknown host, no answer in time); `url` is the request's. */
export class ApiUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the Rayne API at ${url}: ${reason}`);
    this.name = new.target.name;
  }
}

/** Thrown when the API answers a status the caller did not expect; `code` and `apiMessage` come from its `{ error: { code, message } }`. */
export class ApiResponseError extends Error {
  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly apiMessage: string,
    readonly details: Array<{ field: string; message: string }> = [],
  ) {
    super(`${method} ${route} answered ${status}: ${code ? `${code}: ` : ''}${apiMessage}`);
    this.name = new.target.name;
  }
}

/**
 * One request: `expected` (a status or a list) turns any other answer into an ApiResponseError;
 * without it every answer is returned. Throws ApiUnreachableError when no answer comes.
 */
export type Api = (method: string, route: string, body?: unknown, expected?: number | readonly number[]) => Promise<Response>;

export interface ApiClientOptions {
  /** Headers for every request, besides the bearer token (the webhook secret for `rayne send`). */
  headers?: Record<string, string>;
  /** Gives up on a request after this long; unset waits as long as fetch does. */
  timeoutMs?: number;
}

export function apiClient(baseUrl: string, token: string | undefined, options: ApiClientOptions = {}): Api {
  const base = baseUrl.replace(/\/+$/, '');
  return async (method, route, body, expected) => {
    const url = `${base}${route}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
      });
    } catch (err) {
      throw new ApiUnreachableError(safeUrl(url), unreachableReason(err, options.timeoutMs));
    }
    const wanted = expected === undefined ? undefined : typeof expected === 'number' ? [expected] : expected;
    if (wanted && !wanted.includes(response.status)) throw await responseError(method, route, response);
    return response;
  };
}

async function responseError(method: string, route: string, response: Response): Promise<ApiResponseError> {
  const text = await response.text();
  let error: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not Rayne's error shape (a proxy's HTML page, say): the text says what happened.
  }
  if (error && typeof error.message === 'string') {
    return new ApiResponseError(
      method,
      route,
      response.status,
      typeof error.code === 'string' ? error.code : undefined,
      error.message,
      Array.isArray(error.details) ? (error.details as ApiResponseError['details']) : [],
    );
  }
  return new ApiResponseError(method, route, response.status, undefined, text.trim().slice(0, 300) || response.statusText);
}

/** fetch's "fetch failed" hides the reason in its cause chain (ECONNREFUSED, ENOTFOUND, …). */
function unreachableReason(err: unknown, timeoutMs: number | undefined): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `no answer within ${(timeoutMs ?? 0) / 1000}s`;
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** The URL without credentials, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/** Polls until check() returns a value, or fails with `what` after timeoutMs. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
