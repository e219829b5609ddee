import { z } from 'zod';
import type { PrometheusSettings } from '../accounts/store';
import { codeOfStatus, RayneFailure } from '../errors';

/** Long enough for a slow range query, short enough to leave the prefetch's start-to-close room for retries. */
const REQUEST_TIMEOUT_MS = 15_000;

const Labels = z.record(z.string(), z.string());

/** One series of a range query: its labels and its [unix seconds, "value"] samples. */
const RangeSeries = z.object({ metric: Labels, values: z.array(z.tuple([z.number(), z.string()])) });
export type RangeSeries = z.infer<typeof RangeSeries>;

/** An alert as /api/v1/alerts lists it; kept whole (its annotations too) as evidence. */
const PrometheusActiveAlert = z.looseObject({
  labels: Labels,
  state: z.string(),
  activeAt: z.string().optional(),
  value: z.string().optional(),
});
export type PrometheusActiveAlert = z.infer<typeof PrometheusActiveAlert>;

/** A rule as /api/v1/rules lists it (the fields evidence keeps). */
const PrometheusRule = z.object({
  name: z.string(),
  type: z.string(),
  query: z.string().optional(),
  duration: z.number().optional(),
  state: z.string().optional(),
  health: z.string().optional(),
  lastError: z.string().optional(),
  lastEvaluation: z.string().optional(),
  labels: Labels.optional(),
  alerts: z.array(PrometheusActiveAlert).optional(),
});
export type PrometheusRule = z.infer<typeof PrometheusRule>;

/** Prometheus' answer envelope: { status: "success", data } or { status: "error", errorType, error }. */
const Envelope = z.object({ status: z.string().optional(), data: z.unknown(), error: z.string().optional() });

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
    const operation = `query_range ${query}`;
    const data = await this.get(operation, '/api/v1/query_range', z.object({ resultType: z.string(), result: z.unknown() }), {
      query,
      start: String(range.from.getTime() / 1000),
      end: String(range.to.getTime() / 1000),
      step: String(stepS),
    });
    return data.resultType === 'matrix' ? this.read(operation, z.array(RangeSeries), data.result) : [];
  }

  /** GET /api/v1/rules?type=alert: every alerting rule with its state and its alerts. */
  async alertingRules(): Promise<PrometheusRule[]> {
    const Rules = z.object({ groups: z.array(z.object({ rules: z.array(PrometheusRule) })) });
    const data = await this.get('list rules', '/api/v1/rules', Rules, { type: 'alert' });
    return data.groups.flatMap((g) => g.rules);
  }

  /** GET /api/v1/status/buildinfo: the server's version; what a reachability test asks. */
  async buildInfo(): Promise<{ version: string }> {
    return this.get('read build info', '/api/v1/status/buildinfo', z.object({ version: z.string() }), {});
  }

  /** GET /api/v1/alerts: the pending and firing alerts. */
  async activeAlerts(): Promise<PrometheusActiveAlert[]> {
    return (await this.get('list alerts', '/api/v1/alerts', z.object({ alerts: z.array(PrometheusActiveAlert) }), {})).alerts;
  }

  /** The answer's data as the schema reads it; a PrometheusFailure when it is not that shape (a proxy, another version). */
  private read<S extends z.ZodType>(operation: string, schema: S, data: unknown): z.output<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`);
    throw new PrometheusFailure(this.account, operation, undefined, `an answer of another shape: ${problems.join('; ')}`);
  }

  private async get<S extends z.ZodType>(operation: string, path: string, data: S, params: Record<string, string>): Promise<z.output<S>> {
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
    let body: z.infer<typeof Envelope> | undefined;
    try {
      body = Envelope.safeParse(JSON.parse(text)).data;
    } catch {
      body = undefined;
    }
    if (!response.ok || body?.status !== 'success' || body.data === undefined) {
      const detail = body?.error ?? (text.slice(0, 200) || response.statusText);
      throw new PrometheusFailure(this.account, operation, response.ok ? undefined : response.status, detail);
    }
    return this.read(operation, data, body.data);
  }
}
