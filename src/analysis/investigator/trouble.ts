import type { RcaCategory } from '../report';
import { entitiesIn } from './entities';
import { metricKindOf, OWN_KINDS, reasonIn, type TroubleKind } from './knowledge';
import { type ChainNode, ownLines } from './policy';
import { clip, hhmm, isFailing, type Readings, type SeenEvent, type SeenLine, type SeenSeries } from './observations';
import { prometheusTroubles } from './prometheus';

/**
 * Whether a component reports its own trouble, and how: a line in its own logs that states a
 * reason from the knowledge table, an event about it that does, its metrics far off their own
 * baseline, or its host not reporting.
 */

export interface Trouble {
  mechanism: string;
  kind: TroubleKind | 'anomaly';
  category: RcaCategory;
  /** When it began, epoch ms. */
  onset: number;
  /** 0–1: how far from normal, or how loud. */
  strength: number;
  /** A lead too vague to date or explain a candidate by when stronger ones exist: an error nobody named, a timeout toward no one. */
  weak?: boolean;
  source: 'logs' | 'metrics' | 'events' | 'host';
  /** One sentence quoting what was seen. */
  claim: string;
  /** The text that stated it (a line, an event), for tying a change to it. */
  text: string;
  query?: string;
  /** Where the series that shows it is graphed, when that is not Datadog (a Prometheus graph). */
  link?: string;
  /** The services whose lines state it, when a line does. */
  writers?: string[];
}

// Frames of the runtime itself; the first frame outside them is the application code that failed.
const RUNTIME_FRAME = /^(java|javax|jdk|sun|kotlin|scala|node:|internal\/|org\.springframework|io\.netty|reactor|akka|System\.)/;

/** The first application frame of a stack trace in the text: what the application was doing. */
export function appFrame(text: string): string | undefined {
  for (const m of text.matchAll(/^\s*at\s+(?:async\s+)?([\w$.<>/:-]+)/gm)) if (!RUNTIME_FRAME.test(m[1]!)) return m[1];
  return /File "([^"]+)", line \d+, in (\w+)/.exec(text)?.slice(1).join(' in ');
}

/**
 * A line as a quote: its first line, the line that states the reason when another, the file it
 * names on a later line when the stated one names none (which filesystem filled), and the
 * application frame.
 */
function quoteOf(example: string, phrase: RegExp): string {
  const lines = example.split('\n').map((l) => l.trim());
  const stated = lines.find((l) => phrase.test(l)) ?? lines[0]!;
  const frame = appFrame(example);
  const file = FILE_PATH.test(stated) ? undefined : lines.map((l) => FILE_PATH.exec(l)?.[0]).find(Boolean);
  return [lines[0] !== stated ? clip(lines[0]!, 120) : undefined, aroundReason(stated, phrase), file, frame && `at ${frame}`]
    .filter(Boolean)
    .join(' … ');
}

// A file a line names by a key (path: '/tmp/x.tif', file=/var/data/y).
const FILE_PATH = /\b(?:path|file(?:name)?)['"]?\s*[:=]\s*['"]?\/[\w./-]+/i;

/** A long line quoted by its start and by what it says around its reason, where the thing it failed on follows. */
function aroundReason(line: string, phrase: RegExp): string {
  const at = line.search(phrase);
  if (line.length <= 180 || at <= 60) return clip(line, 180);
  return `${line.slice(0, 60)}… ${clip(line.slice(at - 20), 180)}`;
}

/** What a host has of its own: a process's pool or a database it talks to is not the host's. */
export const HOST_RESOURCES: ReadonlySet<RcaCategory> = new Set([
  'disk_full',
  'memory_exhaustion',
  'cpu_saturation',
  'host_failure',
  'network',
]);

// A credential the writer presents (mutual TLS, a signed client assertion), not the server's certificate.
const CLIENT_CREDENTIAL = /\bclient (certificate|cert|assertion)|\bsign(ed|ing)? the client|\bkey used\b/i;

/** What a process sees of its own host: a lost link or a peer not responding is about the path to someone else. */
const LOCAL_RESOURCES: ReadonlySet<RcaCategory> = new Set(['disk_full', 'memory_exhaustion', 'cpu_saturation']);

/** An error nobody named is a weak lead: it wins only with a change that speaks of it, or when nothing else is found. */
const WEAK_STRENGTH = 0.2;

/** Whether a text names an address or a domain (or, asked, a host): somewhere other than its writer. */
export const namesPlace = (text: string, orHost = false) =>
  entitiesIn(text).some((e) => e.shape === 'address' || e.shape === 'domain' || (orHost && e.shape === 'host'));

/** A line's loudness: new or bursting lines, at error level, many of them. */
function lineStrength(l: SeenLine): number {
  const fresh = l.why.some((w) => w.startsWith('new') || /expected/.test(w)) ? 0.5 : 0.2;
  const level = l.level === 'error' || l.level === 'critical' ? 0.3 : 0.15;
  return Math.min(1, fresh + level + Math.min(0.2, Math.log10(1 + l.count) / 10));
}

function fromLines(node: ChainNode, readings: Readings, alertService: string): Trouble[] {
  return ownLines(node, readings.lines).flatMap((l): Trouble[] => {
    const text = `${l.template}\n${l.example}`;
    const reason = reasonIn(text);
    if (!reason || (reason.unrecognised && namesPlace(text))) return [];
    // On another component's host, the alerting service's failures toward something else are not that host's trouble.
    if (node.depth > 0 && l.services.includes(alertService) && !OWN_KINDS.has(reason.kind)) return [];
    // Code that fails on what it was given, or a process that crashes, is the process's trouble, wherever it runs.
    if (node.shape === 'host' && (reason.kind === 'defect' || (reason.mechanism === 'crashing' && l.services.length > 0))) return [];
    // On the alerting service's own hosts, its lines are its own unless they speak of what it sees locally (disk,
    // memory, CPU): a process's pool running out, or a server "not responding" to it, does not make its host a deeper cause.
    if (
      node.shape === 'host' &&
      node.parent === alertService.toLowerCase() &&
      l.services.includes(alertService) &&
      !LOCAL_RESOURCES.has(reason.category)
    )
      return [];
    // An info line counts only when what it says is trouble by itself (an OOM kill, a full disk).
    if (!isFailing(l) && !OWN_KINDS.has(reason.kind)) return [];
    // The alerting service timing out or refused without naming anyone else is slow or refused in itself: a weak lead of its own.
    const unaddressed = node.depth === 0 && !OWN_KINDS.has(reason.kind) && reason.kind !== 'expiry' && !namesPlace(text, true);
    // A certificate stated expired by a component the chain reached, naming no one else, is its own: it holds it or serves with it.
    // So is a client's own credential, whomever it presents it to: a client certificate or the key it signs with.
    const ownExpiry = reason.kind === 'expiry' && ((node.depth > 0 && !namesPlace(text, true)) || CLIENT_CREDENTIAL.test(text));
    return [
      {
        mechanism: reason.mechanism,
        kind: unaddressed ? 'saturation' : ownExpiry ? 'exhaustion' : reason.kind,
        category: reason.category,
        onset: l.firstSeen,
        strength: reason.unrecognised || unaddressed ? WEAK_STRENGTH : lineStrength(l),
        weak: reason.unrecognised || unaddressed,
        source: 'logs',
        claim: `${l.count} ${l.level} lines from ${writerOf(l)} since ${hhmm(l.firstSeen)} UTC: "${quoteOf(l.example, reason.phrase)}"`,
        text,
        query: l.query,
        writers: l.services,
      },
    ];
  });
}

/** Who wrote a line: its service and where it runs (one or two hosts name the instance), else its hosts. */
function writerOf(l: SeenLine): string {
  if (!l.services.length) return l.hosts.join(', ');
  const where = l.hosts.length > 0 && l.hosts.length <= 2 ? ` on ${l.hosts.join(', ')}` : '';
  return `${l.services.join(', ')}${where}`;
}

/** Tags and title words by which an event is about a component. */
const isAbout = (e: SeenEvent, name: string) => {
  const n = name.toLowerCase();
  return e.tags.some((t) => t.toLowerCase().split(':').at(-1) === n) || e.title.toLowerCase().includes(n);
};

function fromEvents(node: ChainNode, readings: Readings): Trouble[] {
  return readings.events
    .filter((e) => isAbout(e, node.name) && e.alertType !== 'success')
    .flatMap((e): Trouble[] => {
      const text = `${e.title}\n${e.text}`;
      const reason = reasonIn(text);
      if (!reason || e.alertType === 'info') return [];
      return [
        {
          mechanism: reason.mechanism,
          kind: reason.kind,
          category: reason.category,
          onset: e.at,
          strength: e.alertType === 'error' ? 0.8 : 0.6,
          source: 'events',
          claim: `event at ${hhmm(e.at)} UTC: "${clip(e.title, 160)}"`,
          text,
        },
      ];
    });
}

export const PERCENT = /pct|percent|in_use|usage|util|cpu\.(user|system|iowait)/i;
// Metrics where a fall is the trouble: free memory, available disk.
const FALLING_IS_BAD = /free|avail|usable|remaining/i;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * How far a series left its own baseline, and when: undefined when it did not. The baseline is
 * the median of its first quarter, the level the mean of its last tenth; a percentage counts
 * when it nears its ceiling, a count when it multiplies, a "free" metric when it falls.
 */
export function seriesAnomaly(s: Pick<SeenSeries, 'metric' | 'points'>): { strength: number; onset: number } | undefined {
  const values = s.points.map(([, v]) => v).filter(Number.isFinite);
  if (values.length < 2) return undefined;
  const baseline = median(values.slice(0, Math.max(1, Math.floor(values.length / 4))));
  const level = mean(values.slice(-Math.max(1, Math.ceil(values.length / 10))));
  const falling = FALLING_IS_BAD.test(s.metric);
  const scale = PERCENT.test(s.metric) && Math.max(...values) <= 1.5 ? 100 : 1;
  let strength = 0;
  if (falling) strength = baseline > 0 && level < baseline / 3 ? Math.min(1, 1 - level / baseline) : 0;
  else if (PERCENT.test(s.metric) && level * scale >= 85 && (level - baseline) * scale >= 20)
    strength = Math.min(1, 0.5 + ((level - baseline) * scale) / 100);
  else if (baseline > 0 && level >= 2 * baseline) strength = Math.min(1, Math.log10(level / baseline));
  else if (baseline === 0 && level > 0) strength = 0.8;
  if (strength < 0.3) return undefined;
  const target = falling ? baseline - (baseline - level) / 2 : baseline + (level - baseline) / 2;
  const crossed = s.points.find(([, v]) => (falling ? v <= target : v >= target));
  return { strength, onset: crossed?.[0] ?? s.points.at(-1)?.[0] ?? 0 };
}

function fromMetrics(node: ChainNode, readings: Readings): Trouble[] {
  const name = node.name.toLowerCase();
  return readings.series
    .filter((s) =>
      s.scope
        .toLowerCase()
        .split(',')
        .some((t) => t.split(':').at(-1) === name),
    )
    .flatMap((s): Trouble[] => {
      const kind = metricKindOf(s.metric);
      const anomaly = seriesAnomaly(s);
      if (!kind || !anomaly) return [];
      return [
        {
          mechanism: kind.mechanism,
          kind: 'anomaly',
          category: kind.category,
          onset: anomaly.onset,
          strength: anomaly.strength,
          source: 'metrics',
          claim: `${s.metric} on ${s.scope} rose to ${round(s.recent)} from a baseline of ${round(s.points[0]?.[1] ?? s.baseline)} (from ${hhmm(anomaly.onset)} UTC)${leader(s)}`,
          text: s.metric,
          query: s.query,
        },
      ];
    });
}

/** The group that rose most, when the series was broken down by process or container. */
const leader = (s: SeenSeries) => {
  const top = s.top[0];
  return top && top.recent > top.first ? `, led by ${top.group} (${round(top.first)} → ${round(top.recent)})` : '';
};

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

function fromHost(node: ChainNode, readings: Readings, alertMs: number): Trouble[] {
  const host = readings.hosts.find((h) => h.hostname.toLowerCase() === node.name.toLowerCase());
  if (!host || !host.found || host.up !== false) return [];
  return [
    {
      mechanism: 'host down',
      kind: 'crash',
      category: 'host_failure',
      onset: alertMs,
      strength: 0.9,
      source: 'host',
      claim: `${node.name} is not reporting as up in the infrastructure list`,
      text: 'host down',
    },
  ];
}

/** Everything that says a component is in trouble on its own account, earliest first. */
export function troubleOf(node: ChainNode, readings: Readings, alert: { alertMs: number; service: string }): Trouble[] {
  return [
    ...fromLines(node, readings, alert.service),
    ...fromEvents(node, readings),
    ...fromMetrics(node, readings),
    ...fromHost(node, readings, alert.alertMs),
    ...prometheusTroubles(node, readings),
  ].sort((a, b) => a.onset - b.onset || b.strength - a.strength);
}

/** Trouble that is the component's own (running out, saturated, falling over), not a failure it passes on. */
export const ownTrouble = (troubles: readonly Trouble[]) => troubles.filter((t) => OWN_KINDS.has(t.kind));

/**
 * The trouble that makes a component a cause. A host's is its resources' (disk, memory, CPU,
 * network, the host itself) and its certificate's; a service's lines about its own pool or its locks lead the
 * investigation through the host they run on, but are that service's, not the host's.
 */
export const causingTrouble = (node: Pick<ChainNode, 'shape'>, troubles: readonly Trouble[]) =>
  ownTrouble(troubles).filter((t) => node.shape !== 'host' || !t.writers?.length || HOST_HELD.has(t.category));

/** What a host holds for the processes on it: its resources, and the certificate that is its identity (a device's). */
const HOST_HELD: ReadonlySet<RcaCategory> = new Set([...HOST_RESOURCES, 'certificate']);
