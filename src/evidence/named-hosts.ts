import type { StoredLogLine } from './sources';
/**
 * Hosts that errors point at: a dependency named only inside error messages (`connect to
 * 10.40.2.13 timed out`, `host='db-3'`) is a lead the alert's own tags never give. Pure; the
 * prefetch resolves the names through Datadog's hosts API.
 */

/** A host an error names, as Datadog knows it. */
export interface NamedHost {
  /** The address or name as the errors wrote it. */
  named: string;
  /** Error and warning lines that name it. */
  lines: number;
  host: string;
  up?: boolean;
  lastReportedTime?: number;
  apps: string[];
  tags: string[];
}

const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g;
// `host=db-3`, `host: 'db-3'`, `node db-3`: a name right after a word that introduces a host.
const KEYED_NAME = /\b(?:host|hostname|node|server|instance)["']?\s*[=:]?\s*["']?([A-Za-z][\w-]*(?:\.[\w-]+)*)/gi;
const NOT_A_HOST = /^(0\.0\.0\.0|127\.|255\.|169\.254\.)/;
const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'emerg', 'alert', 'warn', 'warning']);

/**
 * Addresses and host names that error and warning lines name, most-named first, without the
 * alert's own host and loopback or link-local addresses. Version-like numbers (`1.2.3.4` in a
 * path) are rare enough among errors and cost one failed lookup.
 */
export function namedInErrors(lines: StoredLogLine[], known: string[], limit: number): Array<{ named: string; lines: number }> {
  const skip = new Set(known.map((k) => k.toLowerCase()));
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (!ERROR_LEVELS.has((line.status ?? '').toLowerCase())) continue;
    const names = new Set([...line.message.matchAll(IPV4)].map((m) => m[0]));
    for (const m of line.message.matchAll(KEYED_NAME)) if (/[\d-]/.test(m[1]!)) names.add(m[1]!);
    for (const name of names) if (!NOT_A_HOST.test(name) && !skip.has(name.toLowerCase())) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([named, n]) => ({ named, lines: n }));
}

/** Whether a listed host is the one a name means: its name, an alias, or a tag's value (`internal_ip:10.40.2.13`). */
export function hostAnswersTo(host: { name?: string; aliases?: string[]; tags?: string[] }, named: string): boolean {
  const n = named.toLowerCase();
  const values = [host.name, ...(host.aliases ?? []), ...(host.tags ?? []).map((t) => t.slice(t.indexOf(':') + 1))];
  return values.some((v) => v?.toLowerCase() === n);
}
