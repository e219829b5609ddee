/**
 * Where an account's keys and the webhook secret may be sent. Datadog's API hosts sit under these
 * domains (US1, US3, US5, EU, AP1, US1-FED); a loopback address is this machine (a sandbox or a
 * proxy); anything else must be allowed by name, so a token holder cannot point an account, its
 * keys or the webhook secret at a host of their own.
 */
const DATADOG_DOMAINS = ['datadoghq.com', 'datadoghq.eu', 'ddog-gov.com'] as const;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Why a base URL is refused, or undefined when keys may go there. */
export function baseUrlProblem(url: string, allowedHosts: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL';
  }
  const host = parsed.hostname.toLowerCase();
  if (LOOPBACK.test(host) || allowedHosts.includes(host)) return undefined;
  const datadog = DATADOG_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
  if (!datadog)
    return `must be on a Datadog site (${DATADOG_DOMAINS.join(', ')}), a loopback address, or a host listed in RAYNE_DATADOG_ALLOWED_HOSTS`;
  return parsed.protocol === 'https:' ? undefined : 'a Datadog site is reached over https';
}
