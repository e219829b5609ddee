import type { ReadToolName } from '../claude-tools';

/**
 * What the investigating analyst read, as it reads it back: each tool call with its parsed
 * output. The policy keeps no state of its own; every turn it re-reads these.
 */

export interface PolicyCall {
  name: ReadToolName;
  input: Record<string, unknown>;
}

/** One tool call and what came back: the tool's JSON text, or why it failed. */
export interface Observation {
  call: PolicyCall;
  ok: boolean;
  text: string;
}

export interface SeenLine {
  template: string;
  example: string;
  count: number;
  level: string;
  firstSeen: number;
  lastSeen: number;
  hosts: string[];
  services: string[];
  why: string[];
  /** The query that found it, for the evidence link. */
  query: string;
}

export interface SeenEvent {
  at: number;
  title: string;
  text: string;
  source?: string;
  alertType?: string;
  tags: string[];
}

export interface SeenSeries {
  metric: string;
  scope: string;
  query: string;
  baseline: number;
  recent: number;
  max: number;
  min: number;
  points: Array<[number, number]>;
  /** For per-process and per-container metrics: the groups that rose most, with their tags. */
  top: Array<{ group: string; first: number; recent: number }>;
}

export interface SeenHost {
  hostname: string;
  found: boolean;
  up?: boolean;
  apps: string[];
  /** Its tags: among them what it sits on (a switch, a rack, a node pool). */
  tags: string[];
  /** When no host has the name: the hosts Datadog's search found for it. */
  similar: string[];
}

/** Everything read so far, by kind; each line, event and series once. */
export interface Readings {
  lines: SeenLine[];
  events: SeenEvent[];
  series: SeenSeries[];
  hosts: SeenHost[];
  /** Calls that failed or timed out: evidence that is missing, said so in the report. */
  failed: Array<{ call: PolicyCall; error: string }>;
}

const parse = (text: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const time = (v: unknown) => Date.parse(String(v));

function linesOf(output: Record<string, unknown>): SeenLine[] {
  const templates = Array.isArray(output.templates) ? (output.templates as Array<Record<string, unknown>>) : [];
  return templates.map((t) => ({
    template: String(t.template ?? ''),
    example: String(t.example ?? ''),
    count: Number(t.count ?? 0),
    level: String(t.level ?? 'info'),
    firstSeen: time(t.firstSeen),
    lastSeen: time(t.lastSeen),
    hosts: strings(t.hosts),
    services: strings(t.services),
    why: strings(t.why),
    query: String(output.query ?? ''),
  }));
}

function eventsOf(output: Record<string, unknown>): SeenEvent[] {
  const events = Array.isArray(output.events) ? (output.events as Array<Record<string, unknown>>) : [];
  return events.map((e) => ({
    at: time(e.at),
    title: String(e.title ?? ''),
    text: String(e.text ?? ''),
    source: e.source === undefined ? undefined : String(e.source),
    alertType: e.alertType === undefined ? undefined : String(e.alertType),
    tags: strings(e.tags),
  }));
}

function seriesOf(output: Record<string, unknown>): SeenSeries[] {
  const series = Array.isArray(output.series) ? (output.series as Array<Record<string, unknown>>) : [];
  return series.map((s) => ({
    metric: String(s.label ?? s.metric ?? ''),
    scope: String(s.scope ?? ''),
    query: String(s.query ?? ''),
    baseline: Number(s.baseline ?? 0),
    recent: Number(s.recent ?? 0),
    max: Number(s.max ?? 0),
    min: Number(s.min ?? 0),
    top: (Array.isArray(s.top) ? (s.top as Array<Record<string, unknown>>) : []).map((g) => ({
      group: String(g.group ?? ''),
      first: Number(g.first ?? 0),
      recent: Number(g.recent ?? 0),
    })),
    points: (Array.isArray(s.points) ? (s.points as Array<[unknown, unknown]>) : []).map(([t, v]): [number, number] => [
      time(t),
      Number(v),
    ]),
  }));
}

/** The tool outputs, parsed and deduplicated (two searches often find the same template). */
export function readingsOf(observations: readonly Observation[]): Readings {
  const readings: Readings = { lines: [], events: [], series: [], hosts: [], failed: [] };
  const seen = new Set<string>();
  const once = (key: string) => !seen.has(key) && !!seen.add(key);
  for (const { call, ok, text } of observations) {
    const output = ok ? parse(text) : undefined;
    if (!output) {
      readings.failed.push({ call, error: text.slice(0, 300) });
      continue;
    }
    if (call.name === 'search_logs')
      readings.lines.push(...linesOf(output).filter((l) => once(`l ${l.template} ${l.hosts.join()} ${l.services.join()}`)));
    else if (call.name === 'get_events') readings.events.push(...eventsOf(output).filter((e) => once(`e ${e.at} ${e.title}`)));
    else if (call.name === 'host_metrics' || call.name === 'scope_metrics' || call.name === 'query_metrics')
      readings.series.push(...seriesOf(output).filter((s) => once(`s ${s.query}`)));
    else if (call.name === 'get_host')
      readings.hosts.push({
        hostname: String(output.hostname ?? call.input.hostname),
        found: output.found === true,
        up: typeof output.up === 'boolean' ? output.up : undefined,
        apps: strings(output.apps),
        tags: strings(output.tags),
        similar: strings(output.similar),
      });
  }
  return readings;
}

/** The tool output inside its untrusted-data frame, as the conversation stores it. */
export function unframe(text: string): string {
  const m = /^<untrusted_data kind="[^"]*" id="[^"]*">\n([\s\S]*)\n<\/untrusted_data id="[^"]*">$/.exec(text);
  return m ? m[1]! : text;
}

/** A line at a level that reports trouble. */
export const isFailing = (l: SeenLine) => l.level === 'error' || l.level === 'warn' || l.level === 'critical';
/** UTC hours and minutes of an epoch-ms time, as the report's sentences give them. */
export const hhmm = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 16) : '?');
/** Text cut to n characters, with an ellipsis when cut. */
export const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** At most this much of one read goes into the evidence bundle. */
const READ_MAX_CHARS = 1_500;

/** One read as evidence: a line per template, series, event or host, cut to a bound. */
export function condenseRead(observation: Observation): string {
  const { call, ok, text } = observation;
  const output = ok ? parse(text) : undefined;
  if (!output) return `failed: ${text.slice(0, 300)}`;
  let lines: string[];
  if (call.name === 'search_logs')
    lines = linesOf(output).map(
      (l) =>
        `${l.count} ${l.level} ${[...l.services, ...l.hosts].join(' ')} since ${hhmm(l.firstSeen)}: ${l.example.split('\n')[0]!.slice(0, 200)}`,
    );
  else if (call.name === 'get_events') lines = eventsOf(output).map((e) => `${hhmm(e.at)} ${e.title} [${e.tags.slice(0, 4).join(' ')}]`);
  else if (call.name === 'host_metrics' || call.name === 'scope_metrics' || call.name === 'query_metrics')
    lines = seriesOf(output).map(
      (s) =>
        `${s.metric} ${s.scope}: ${s.points[0]?.[1] ?? '?'} → ${s.recent} (max ${s.max})${s.top.length ? `, led by ${s.top[0]!.group}` : ''}`,
    );
  else lines = [text];
  const joined = lines.join('\n') || '(nothing)';
  return joined.length > READ_MAX_CHARS ? `${joined.slice(0, READ_MAX_CHARS)}…` : joined;
}
