import { client, v2 } from '@datadog/datadog-api-client';
import type { DatadogCall } from './reads';

/** APM's service map: each service and the services it calls. */
export type ServiceDependencies = Record<string, string[]>;

/**
 * `GET /api/v1/service_dependencies` for one env: the official client has no method for it, so it
 * is sent through the client's own configuration (its server, auth methods and HTTP library, hence
 * the same keys and timeout) and a non-2xx answer becomes the client's ApiException.
 */
export async function readServiceDependencies(call: DatadogCall, q: { env: string; from: Date; to: Date }): Promise<ServiceDependencies> {
  return call(`service dependencies of env ${q.env}`, async (c) => {
    const request = c
      .getServer('v1.ServiceDependencies.getServiceDependencies')
      .makeRequestContext('/api/v1/service_dependencies', client.HttpMethod.GET);
    request.setQueryParam('env', q.env, '');
    request.setQueryParam('start', String(Math.floor(q.from.getTime() / 1000)), '');
    request.setQueryParam('end', String(Math.ceil(q.to.getTime() / 1000)), '');
    request.setHeaderParam('Accept', 'application/json');
    request.setHttpConfig(c.httpConfig);
    // The client's generated operations apply these same two auth methods.
    c.authMethods.apiKeyAuth?.applySecurityAuthentication(request);
    c.authMethods.appKeyAuth?.applySecurityAuthentication(request);
    const response = await c.httpApi.send(request);
    const text = await response.body.text();
    const body: unknown = text ? JSON.parse(text) : {};
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw new client.ApiException(response.httpStatusCode, body);
    return Object.fromEntries(
      Object.entries((body ?? {}) as Record<string, { calls?: unknown }>).map(([service, v]) => [
        service,
        Array.isArray(v?.calls) ? v.calls.map(String) : [],
      ]),
    );
  });
}

/** One time point of one group of spans. */
export interface SpanPoint {
  at: number;
  count: number;
  /** p95 of `@duration`, in milliseconds. */
  p95Ms: number;
}

/** The spans of one service, resource and status over time. */
export interface SpanSeries {
  service: string;
  resource: string;
  status: string;
  points: SpanPoint[];
}

const DURATION_NS_PER_MS = 1e6;

/**
 * One `POST /api/v2/spans/analytics/aggregate` (span search allows 300 requests an hour): span
 * counts and p95 duration over time, by service, resource and status, for everything the query matches.
 */
export async function aggregateSpans(
  call: DatadogCall,
  q: { query: string; from: Date; to: Date; interval: string },
): Promise<SpanSeries[]> {
  const result = await call(`aggregate spans ${q.query}`, (c) =>
    new v2.SpansApi(c).aggregateSpans({
      body: {
        data: {
          type: 'aggregate_request',
          attributes: {
            filter: { query: q.query, from: q.from.toISOString(), to: q.to.toISOString() },
            compute: [
              { aggregation: 'count', type: 'timeseries', interval: q.interval },
              { aggregation: 'pc95', metric: '@duration', type: 'timeseries', interval: q.interval },
            ],
            groupBy: [
              { facet: 'service', limit: 50 },
              { facet: 'resource_name', limit: 20 },
              { facet: 'status', limit: 2 },
            ],
          },
        },
      },
    }),
  );
  const series = (value: unknown) =>
    Array.isArray(value)
      ? (value as Array<{ time?: string; value?: number }>).map((p) => ({ at: Date.parse(String(p.time)), value: p.value ?? 0 }))
      : [];
  return (result.data ?? []).map((bucket) => {
    const by = bucket.attributes?.by ?? {};
    const latency = new Map(series(bucket.attributes?.computes?.c1).map((p) => [p.at, p.value / DURATION_NS_PER_MS]));
    return {
      service: String(by.service ?? ''),
      resource: String(by.resource_name ?? ''),
      status: String(by.status ?? ''),
      points: series(bucket.attributes?.computes?.c0).map((p) => ({ at: p.at, count: p.value, p95Ms: latency.get(p.at) ?? 0 })),
    };
  });
}
