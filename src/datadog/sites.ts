import { BlockList, isIP } from 'node:net';

/**
 * Where an account's keys and the webhook secret may be sent. Datadog's API hosts sit under these
 * domains (US1, US3, US5, EU, AP1, US1-FED), reached over https; anything else must be allowed by
 * name, and this machine or its private network only when the operator opts in (the dev sandbox),
 * so a token holder cannot point an account, its keys or the webhook secret at a port of their own.
 */
const DATADOG_DOMAINS = ['datadoghq.com', 'datadoghq.eu', 'ddog-gov.com'] as const;

/** Loopback, private, link-local (cloud metadata) and unspecified ranges; IPv4-mapped IPv6 addresses match their IPv4 rule. */
const PRIVATE_RANGES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv6');

export interface BaseUrlPolicy {
  /** Hosts besides Datadog's sites that base_url may name, over http or https. */
  allowedHosts: readonly string[];
  /** Loopback and private addresses (and localhost) are allowed, over http or https. */
  allowPrivate: boolean;
}

/** Whether a URL's host names this machine or a private network, in whatever form the URL parser normalised it to. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  return family !== 0 && PRIVATE_RANGES.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a base URL is refused, or undefined when keys may go there. The host is checked as the
 * WHATWG parser normalises it, so `2130706433`, `127.1` and `0x7f.1` are all 127.0.0.1.
 */
export function baseUrlProblem(url: string, policy: BaseUrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an https URL';
  const host = parsed.hostname;
  if (policy.allowedHosts.includes(host)) return undefined;
  if (isPrivateHost(host)) {
    return policy.allowPrivate
      ? undefined
      : 'names this machine or a private network; set RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES=true to allow it (a local sandbox or proxy)';
  }
  if (!DATADOG_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`)))
    return `must be on a Datadog site (${DATADOG_DOMAINS.join(', ')}) or a host listed in RAYNE_DATADOG_ALLOWED_HOSTS`;
  return parsed.protocol === 'https:' ? undefined : 'a Datadog site is reached over https';
}
