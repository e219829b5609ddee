import type { PrometheusSettings } from '../accounts/store';
import { codeOfStatus, RayneFailure } from '../errors';

/** Long enough for a slow range query, short enough to leave the prefetch's start-to-close room for retries. */
const REQUEST_TIMEOUT_MS = 15_000;

/** One series of a range query: its labels and its [unix seconds, "value"] samples. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** A rule as /api/v1/rules lists it (the fields evidence keeps). */
export interface PrometheusRule {
  name: string;
  type: string;
  query?: string;
  duration?: number;
  state?: string;
  health?: string;
  lastError?: string;
  lastEvaluation?: string;
  labels?: Record<string, string>;
  alerts?: PrometheusActiveAlert[];
}

/** An alert as /api/v1/alerts lists it. */
export interface PrometheusActiveAlert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string;
  value?: string;
}

/** Thrown when the account's Prometheus refused a request or did not answer; the message names no credential. */
export class PrometheusFailure extends RayneFailure {
  constructor(account: string, operation: string, status: number | undefined, detail: string) {
    super(codeOfStatus(status), `Prometheus ${operation} for account "${account}" failed${status ? ` with ${status}` : ''}: ${detail}`, {
      upstream: 'prometheus',
      account,
      operation,
      ...(status ? { status } : {}),
    });
  }
}

const authorization = ({ auth }: PrometheusSettings): Record<string, string> =>
  auth.kind === 'bearer'
    ? { authorization: `Bearer ${auth.token}` }
    : auth.kind === 'basic'
      ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
      : {};

/** The Prometheus HTTP API (v1) of one account: range queries, rules and alerts, with a timeout per request. */
export class PrometheusClient {
  constructor(
    private readonly settings: PrometheusSettings,
    private readonly account: string,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** Where people look at an expression over a range in Prometheus' own UI. */
  graphLink(query: string, range: { from: Date; to: Date }): string {
    const seconds = Math.max(60, Math.ceil((range.to.getTime() - range.from.getTime()) / 1000));
    const params = new URLSearchParams({
      'g0.expr': query,
      'g0.tab': '0',
      'g0.range_input': `${seconds}s`,
      'g0.end_input': range.to.toISOString(),
    });
    return `${this.settings.url}/graph?${params.toString()}`;
  }

  /** GET /api/v1/query_range: the expression's series from `from` to `to`, one sample per `stepS` seconds. */
  async queryRange(query: string, range: { from: Date; to: Date }, stepS: number): Promise<RangeSeries[]> {
    const data = await this.get<{ resultType: string; result: RangeSeries[] }>(`query_range ${query}`, '/api/v1/query_range', {
      query,
      start: String(range.from.getTime() / 1000),
      end: String(range.to.getTime() / 1000),
      step: String(stepS),
    });
    return data.resultType === 'matrix' ? data.result : [];
  }

  /** GET /api/v1/rules?type=alert: every alerting rule with its state and its alerts. */
  async alertingRules(): Promise<PrometheusRule[]> {
    const data = await this.get<{ groups: Array<{ rules: PrometheusRule[] }> }>('list rules', '/api/v1/rules', { type: 'alert' });
    return data.groups.flatMap((g) => g.rules);
  }

  /** GET /api/v1/status/buildinfo: the server's version; what a reachability test asks. */
  async buildInfo(): Promise<{ version: string }> {
    return this.get<{ version: string }>('read build info', '/api/v1/status/buildinfo', {});
  }

  /** GET /api/v1/alerts: the pending and firing alerts. */
  async activeAlerts(): Promise<PrometheusActiveAlert[]> {
    return (await this.get<{ alerts: PrometheusActiveAlert[] }>('list alerts', '/api/v1/alerts', {})).alerts;
  }

  private async get<T>(operation: string, path: string, params: Record<string, string>): Promise<T> {
    const url = `${this.settings.url}${path}?${new URLSearchParams(params).toString()}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...authorization(this.settings) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new PrometheusFailure(this.account, operation, undefined, detail);
    }
    const text = await response.text();
    // Prometheus answers errors as { status: "error", errorType, error }; a proxy in front of it may answer anything.
    let body: { status?: string; data?: T; error?: string } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok || body?.status !== 'success' || body.data === undefined) {
      const detail = body?.error ?? (text.slice(0, 200) || response.statusText);
      throw new PrometheusFailure(this.account, operation, response.ok ? undefined : response.status, detail);
    }
    return body.data;
  }
}
