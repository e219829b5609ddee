/**
 * The service map as evidence: APM's dependencies (who calls whom) and each endpoint's spans now
 * against its baseline. A failure travels up the map, from a dependency to its callers, so among
 * the failing services below the alerting one, the deepest whose own spans fail, and whose failures
 * began first, is where the outage most likely starts.
 */

/** A share of errors an endpoint must reach, and how many times its baseline share, to count as failing. */
export const SPAN_FAILURE = { minErrorRate: 0.01, overBaseline: 3 };

/**
 * Whether spans fail: errors at least 1 % of hits and at least three times the baseline's share. A
 * dependency that never erred and now fails one call in fifty fails its callers often enough to page.
 */
export function spansFail(hits: number, errors: number, baselineErrorRate: number): boolean {
  if (hits <= 0) return false;
  const rate = errors / hits;
  return rate >= SPAN_FAILURE.minErrorRate && rate >= SPAN_FAILURE.overBaseline * baselineErrorRate;
}

/** One endpoint's spans as the span_aggregates tool summarises them. */
export interface EndpointSpans {
  service: string;
  resource: string;
  failing: boolean;
  /** When its errors first rose to failing (epoch ms); absent when they did not. */
  errorsBegan?: number;
}

/** A failing dependency worth following, with how it was reached. */
export interface DependencyCandidate {
  service: string;
  /** Calls from the alerting service down to it. */
  depth: number;
  /** The alerting service, then each service on the way to the candidate. */
  path: string[];
  errorsBegan: number;
}

/** When each service's own spans began to fail: the earliest of its failing endpoints. */
function failureOnsets(spans: readonly EndpointSpans[]): Map<string, number> {
  const onsets = new Map<string, number>();
  for (const s of spans)
    if (s.failing && s.errorsBegan !== undefined) onsets.set(s.service, Math.min(onsets.get(s.service) ?? Infinity, s.errorsBegan));
  return onsets;
}

/** Every service the alerting one reaches through the map, with the shortest path to it. */
function reachable(from: string, dependencies: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const paths = new Map([[from, [from]]]);
  const queue = [from];
  for (let service = queue.shift(); service !== undefined; service = queue.shift())
    for (const next of [...(dependencies[service] ?? [])].sort())
      if (!paths.has(next)) {
        paths.set(next, [...paths.get(service)!, next]);
        queue.push(next);
      }
  return paths;
}

/**
 * The deepest dependency of `from` whose own spans fail, and whose failures began first: among the
 * failing services `from` reaches, those with no failing dependency of their own, the earliest to
 * fail, then the deepest. Undefined when none is below `from`, or when one that failed earlier sits
 * above it (then the spans do not say the failure climbed from below).
 */
export function failingDependency(
  from: string,
  dependencies: Readonly<Record<string, readonly string[]>>,
  spans: readonly EndpointSpans[],
): DependencyCandidate | undefined {
  const onsets = failureOnsets(spans);
  const paths = reachable(from, dependencies);
  const failing = [...paths.keys()].filter((s) => onsets.has(s));
  const deepest = failing
    .filter((s) => s !== from && !(dependencies[s] ?? []).some((d) => onsets.has(d) && paths.has(d)))
    .map((service) => ({ service, depth: paths.get(service)!.length - 1, path: paths.get(service)!, errorsBegan: onsets.get(service)! }))
    .sort((a, b) => a.errorsBegan - b.errorsBegan || b.depth - a.depth || a.service.localeCompare(b.service));
  const first = deepest[0];
  if (!first) return undefined;
  return failing.every((s) => onsets.get(s)! >= first.errorsBegan) ? first : undefined;
}
