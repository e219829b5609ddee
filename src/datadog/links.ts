/** Datadog's web app for an API base URL (api.datadoghq.eu → app.datadoghq.eu); other URLs (a sandbox) are kept. */
export function datadogAppUrl(apiBaseUrl: string): string {
  const u = new URL(apiBaseUrl);
  const host = u.hostname;
  if (!host.startsWith('api.')) return u.origin;
  const site = host.slice(4);
  // Regional sites (us3, us5, ap1) are served from <region>.datadoghq.com, the others from app.<site>.
  return /^(us\d|ap\d)\./.test(site) ? `${u.protocol}//${site}` : `${u.protocol}//app.${site}`;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

/** Deep links into one account's Datadog app, all pinned to one time range (live views off). */
export class DatadogLinks {
  private readonly app: string;

  constructor(
    apiBaseUrl: string,
    private readonly range: TimeRange,
  ) {
    this.app = datadogAppUrl(apiBaseUrl);
  }

  private url(path: string, params: Record<string, string>): string {
    const query = new URLSearchParams({
      ...params,
      from_ts: String(this.range.from.getTime()),
      to_ts: String(this.range.to.getTime()),
      live: 'false',
    });
    return `${this.app}${path}?${query}`;
  }

  logs(query: string): string {
    return this.url('/logs', { query });
  }

  events(query: string): string {
    return this.url('/event/explorer', { query });
  }

  event(id: string): string {
    return this.url(`/event/event`, { id });
  }

  host(name: string): string {
    return this.url('/infrastructure', { host: name, tab: 'details' });
  }

  monitor(id: string | number): string {
    return this.url(`/monitors/${id}`, {});
  }

  /** A metric graph: `avg:system.cpu.user{host:web-07}`. */
  metric(query: string): string {
    return this.url('/metric/explorer', { exp_metric: query });
  }
}
