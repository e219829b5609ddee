/**
 * Who sends the traffic: request logs reduced to their top origins (user agent family, client
 * /16, utm campaign) shortly before the alert, beside the same origins' share earlier. A crawler
 * or one network taking most of the requests is the usual story behind a traffic spike. Pure.
 */

/** A request log line as prefetched: its attributes (as Datadog parsed them) and its message. */
export interface RequestLine {
  attributes?: Record<string, unknown>;
  message: string;
}

export type OriginDimension = 'user agent' | 'client /16' | 'campaign';

export interface OriginShare {
  by: OriginDimension;
  value: string;
  /** Share of the recent sample's request lines from this origin, 0–1. */
  recent: number;
  /** Its share of the earlier sample, 0–1; 0 when it sent nothing then. */
  earlier: number;
}

/** The top origins of the request lines just before the alert, against an earlier sample. */
export interface OriginSummary {
  query: string;
  recentLines: number;
  earlierLines: number;
  /** Each sample's time range, ISO. */
  recentWindow: { from: string; to: string };
  earlierWindow: { from: string; to: string };
  top: OriginShare[];
}

const USER_AGENT_KEYS = ['http.useragent', 'http.user_agent', 'user_agent', 'http_user_agent', 'useragent'];
const CLIENT_IP_KEYS = ['network.client.ip', 'http.client_ip', 'client_ip', 'remote_addr', 'x_forwarded_for', 'http_x_forwarded_for'];
const BROWSERS = ['Edg', 'OPR', 'Firefox', 'Chrome', 'Safari'];
const TOP_PER_DIMENSION = 3;

/** A user agent's family: the bot, tool or library it names, else the browser. */
export function userAgentFamily(userAgent: string): string {
  const product = /^([\w.-]+)\//.exec(userAgent.trim())?.[1];
  if (product && product.toLowerCase() !== 'mozilla') return product;
  const bot = /([\w-]*(bot|spider|crawler|slurp))\b/i.exec(userAgent)?.[1];
  if (bot) return bot;
  return BROWSERS.find((b) => userAgent.includes(`${b}/`)) ?? (product || userAgent.slice(0, 40) || 'unknown');
}

/** An IPv4 address's /16 (`43.153.0.0/16`); another address as it is. */
export function clientNetwork(ip: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(ip.trim());
  return v4 ? `${v4[1]}.${v4[2]}.0.0/16` : ip.trim();
}

/** Nested attributes as lower-cased dotted paths (`http.useragent`) to their values. */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null && prefix) out[prefix.toLowerCase()] = String(value);
  return out;
}

/** A line's attributes, or a JSON message's own keys when it has none (as Datadog parses JSON logs). */
function fieldsOf(line: RequestLine): Record<string, string> {
  const fields = flatten(line.attributes ?? {});
  if (Object.keys(fields).length > 0 || !line.message.trimStart().startsWith('{')) return fields;
  try {
    return flatten(JSON.parse(line.message));
  } catch {
    return fields;
  }
}

/** The origins one request line comes from, one per dimension it carries. */
export function originsOf(line: RequestLine): Array<[OriginDimension, string]> {
  const fields = fieldsOf(line);
  const first = (keys: string[]) => keys.map((k) => fields[k]).find((v) => v !== undefined && v !== '');
  const origins: Array<[OriginDimension, string]> = [];
  const userAgent = first(USER_AGENT_KEYS);
  if (userAgent) origins.push(['user agent', userAgentFamily(userAgent)]);
  const ip = first(CLIENT_IP_KEYS)?.split(',')[0];
  if (ip) origins.push(['client /16', clientNetwork(ip)]);
  const campaign = /\butm_(?:source|campaign)=([^&\s"]+)/.exec(`${line.message} ${Object.values(fields).join(' ')}`)?.[1];
  if (campaign) origins.push(['campaign', decodeURIComponent(campaign)]);
  return origins;
}

function shares(lines: RequestLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines)
    for (const [by, value] of originsOf(line)) counts.set(`${by}\u0000${value}`, (counts.get(`${by}\u0000${value}`) ?? 0) + 1);
  return new Map([...counts].map(([key, n]) => [key, n / Math.max(1, lines.length)]));
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The top origins per dimension in the recent sample, each with its earlier share, biggest gain first. */
export function summariseOrigins(recent: RequestLine[], earlier: RequestLine[]): OriginShare[] {
  const now = shares(recent);
  const before = shares(earlier);
  const byDimension = new Map<string, OriginShare[]>();
  for (const [key, share] of now) {
    const [by, value] = key.split('\u0000') as [OriginDimension, string];
    byDimension.set(by, [...(byDimension.get(by) ?? []), { by, value, recent: round(share), earlier: round(before.get(key) ?? 0) }]);
  }
  return [...byDimension.values()]
    .flatMap((origins) => origins.sort((a, b) => b.recent - a.recent).slice(0, TOP_PER_DIMENSION))
    .sort((a, b) => b.recent - b.earlier - (a.recent - a.earlier));
}
