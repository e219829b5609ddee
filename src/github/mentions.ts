import { escapeRegExp } from '../text-format';
import type { TriageContext } from './triage';

/** What Rayne has seen in its alerts: the names an issue may mention. */
export interface KnownEntities {
  services: string[];
  hosts: string[];
  monitors: Array<{ id: string; name?: string }>;
}

const MAX_EACH = 10;

/** Whether `name` appears in `text` as a whole name: not inside a longer service or host name. */
function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\w.-])${escapeRegExp(name)}($|[^\\w-]|\\.(\\s|$))`, 'i').test(text);
}

/** Values of `key:value` tags in the text (`service:checkout`, `host:web-01`), as Datadog writes them. */
function tagValues(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`\\b${key}:([\\w.-]+[\\w])`, 'gi'))].map((m) => m[1]!);
}

const unique = (values: string[]) => [...new Set(values)].slice(0, MAX_EACH);

/**
 * The services, hosts and monitors an issue names: known names as whole words, `service:`/`host:`
 * tags, and monitor ids in Datadog monitor links or as "monitor 12345".
 */
export function findMentions(text: string, known: KnownEntities): TriageContext['mentions'] {
  const services = unique([...known.services.filter((s) => s.length >= 3 && mentions(text, s)), ...tagValues(text, 'service')]);
  const hosts = unique([...known.hosts.filter((h) => h.length >= 3 && mentions(text, h)), ...tagValues(text, 'host')]);
  const ids = new Set([
    ...[...text.matchAll(/\/monitors\/(\d+)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bmonitor\s*(?:id\s*)?[#:]?\s*(\d{3,})\b/gi)].map((m) => m[1]!),
  ]);
  const byName = known.monitors.filter((m) => m.name && m.name.length >= 8 && text.toLowerCase().includes(m.name.toLowerCase()));
  const monitors = [
    ...[...ids].map((id) => ({ id, name: known.monitors.find((m) => m.id === id)?.name })),
    ...byName.filter((m) => !ids.has(m.id)),
  ]
    .slice(0, MAX_EACH)
    .map((m) => (m.name ? m : { id: m.id }));
  return { services, hosts, monitors };
}
