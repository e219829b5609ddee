import { Octokit } from '@octokit/rest';
import { RayneFailure } from '../errors';

export interface GithubSettings {
  /** GH_TOKEN; absent, nothing is written to GitHub. */
  token?: string;
  /** GITHUB_API_URL: api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** Per request: an activity retries a slow GitHub, it does not wait for it. */
  timeoutMs?: number;
}

/** The official client for one token; no SDK retries or throttling, Temporal retries the activity. */
export function createOctokit(settings: GithubSettings & { token: string }): Octokit {
  return new Octokit({
    auth: settings.token,
    baseUrl: settings.apiUrl.replace(/\/+$/, ''),
    userAgent: 'rayne',
    request: { timeout: settings.timeoutMs ?? 15_000 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

/** What Octokit throws for an HTTP error answer (its RequestError, named HttpError). */
interface RequestError extends Error {
  status: number;
  response?: { headers?: Record<string, string | number | undefined> };
}

const isRequestError = (err: unknown): err is RequestError =>
  err instanceof Error && err.name === 'HttpError' && typeof (err as RequestError).status === 'number';

const header = (err: RequestError, name: string) => {
  const value = err.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
};

/** When GitHub said to try again: retry-after seconds, or the rate limit's reset time. */
function retryDelayMs(err: RequestError, now = Date.now()): number | undefined {
  const retryAfter = Number(header(err, 'retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return retryAfter * 1000;
  const reset = Number(header(err, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset * 1000 > now ? reset * 1000 - now + 1000 : undefined;
}

/**
 * A failed GitHub call in Rayne's terms: a rate limit (429, or 403 with no requests left) retries
 * after GitHub's reset; 5xx and network failures are returned as they are and retry; a rejected
 * token (Unauthorized), a token without access (Forbidden), a missing repository or issue
 * (NotFound) and refused input (Rejected) fail for good, saying which call and what to check.
 */
export function toGithubFailure(err: unknown, call: string): unknown {
  if (!isRequestError(err) || err.status >= 500) return err;
  const detail = `${call}: GitHub answered ${err.status} (${err.message})`;
  const data = { upstream: 'GitHub', operation: call, status: err.status };
  const limited =
    err.status === 429 || (err.status === 403 && (header(err, 'x-ratelimit-remaining') === '0' || !!header(err, 'retry-after')));
  if (limited) return new RayneFailure('RateLimited', `${detail}; rate limited`, { ...data, retryAfterMs: retryDelayMs(err) });
  if (err.status === 401) return new RayneFailure('Unauthorized', `${detail}; check GH_TOKEN`, data);
  if (err.status === 403)
    return new RayneFailure('Forbidden', `${detail}; the token lacks access to this repository (it needs issues: write)`, data);
  if (err.status === 404 || err.status === 410)
    return new RayneFailure('NotFound', `${detail}; the repository or issue is gone or not visible to the token`, data);
  return new RayneFailure('Rejected', detail, data);
}
