import type { PrometheusSettings } from '../accounts/store';
import { PrometheusClient, PrometheusFailure } from './client';

/** What a test of an account's Prometheus found: whether it answered with its credentials, and its version when it says. */
export interface PrometheusCheck {
  valid: boolean;
  status?: number;
  version?: string;
  message: string;
}

/**
 * Asks the account's Prometheus for its build info (GET /api/v1/status/buildinfo); a compatible
 * server without that endpoint (404) is asked a trivial range query instead. Never quotes a credential.
 */
export async function checkPrometheus(settings: PrometheusSettings, account: string, timeoutMs = 10_000): Promise<PrometheusCheck> {
  const client = new PrometheusClient(settings, account, timeoutMs);
  try {
    const { version } = await client.buildInfo();
    return { valid: true, status: 200, version, message: `Prometheus ${version} answered at ${settings.url}` };
  } catch (err) {
    if (!(err instanceof PrometheusFailure)) throw err;
    const failure =
      err.data.status === 404
        ? await client.queryRange('vector(1)', { from: new Date(Date.now() - 60_000), to: new Date() }, 60).then(
            () => undefined,
            (e: unknown) => (e instanceof PrometheusFailure ? e : Promise.reject(e)),
          )
        : err;
    if (!failure) return { valid: true, status: 200, message: `${settings.url} answered a query (it has no build info endpoint)` };
    const { status } = failure.data;
    if (status === 401 || status === 403)
      return { valid: false, status, message: `Prometheus at ${settings.url} rejected the credentials (${status})` };
    return { valid: false, ...(status ? { status } : {}), message: failure.message };
  }
}
