/** What a mined template knows about the lines it covers, kept as lines arrive and merged when templates join. */

/** What the caller knows about a line besides its message. */
export interface LineMeta {
  at?: Date;
  host?: string;
  service?: string;
  level?: string;
}

/** A template and what the lines it covers have in common. */
export interface MinedTemplate {
  /** The id of the template's first variant: stable while templates generalise. */
  id: number;
  /** The message with values written `<*>`. */
  template: string;
  count: number;
  /** 1-based positions in the stream of the template's first and last lines. */
  firstLine: number;
  lastLine: number;
  firstSeen?: Date;
  lastSeen?: Date;
  hosts: Set<string>;
  services: Set<string>;
  /** Lines per level, lower-cased (`error`, `warn`…). */
  levels: Record<string, number>;
  /** The first line seen. */
  example: string;
  /** Lines per minute (epoch minute → count), when lines carried `at`. */
  perMinute: Map<number, number>;
}

// Sets of metadata stop growing here; a template seen on more hosts than this is everywhere anyway.
const MAX_SET = 100;

export function emptyStats(id: number, example: string): MinedTemplate {
  return {
    id,
    template: '',
    count: 0,
    firstLine: 0,
    lastLine: 0,
    hosts: new Set(),
    services: new Set(),
    levels: {},
    example,
    perMinute: new Map(),
  };
}

export function record(stats: MinedTemplate, lineNumber: number, meta: LineMeta | undefined): void {
  stats.count++;
  if (stats.firstLine === 0) stats.firstLine = lineNumber;
  stats.lastLine = lineNumber;
  if (!meta) return;
  const { at, host, service, level } = meta;
  if (at) {
    if (!stats.firstSeen || at < stats.firstSeen) stats.firstSeen = at;
    if (!stats.lastSeen || at > stats.lastSeen) stats.lastSeen = at;
    const minute = Math.floor(at.getTime() / 60_000);
    stats.perMinute.set(minute, (stats.perMinute.get(minute) ?? 0) + 1);
  }
  if (host && stats.hosts.size < MAX_SET) stats.hosts.add(host);
  if (service && stats.services.size < MAX_SET) stats.services.add(service);
  if (level) {
    const l = level.toLowerCase();
    stats.levels[l] = (stats.levels[l] ?? 0) + 1;
  }
}

export const cloneStats = (s: MinedTemplate): MinedTemplate => ({
  ...s,
  hosts: new Set(s.hosts),
  services: new Set(s.services),
  levels: { ...s.levels },
  perMinute: new Map(s.perMinute),
});

export function mergeInto(into: MinedTemplate, from: MinedTemplate): void {
  into.count += from.count;
  if (from.firstLine < into.firstLine) {
    into.firstLine = from.firstLine;
    into.example = from.example;
    into.id = from.id;
  }
  into.lastLine = Math.max(into.lastLine, from.lastLine);
  if (from.firstSeen && (!into.firstSeen || from.firstSeen < into.firstSeen)) into.firstSeen = from.firstSeen;
  if (from.lastSeen && (!into.lastSeen || from.lastSeen > into.lastSeen)) into.lastSeen = from.lastSeen;
  for (const h of from.hosts) if (into.hosts.size < MAX_SET) into.hosts.add(h);
  for (const s of from.services) if (into.services.size < MAX_SET) into.services.add(s);
  for (const [level, n] of Object.entries(from.levels)) into.levels[level] = (into.levels[level] ?? 0) + n;
  for (const [minute, n] of from.perMinute) into.perMinute.set(minute, (into.perMinute.get(minute) ?? 0) + n);
}
