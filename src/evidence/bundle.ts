import { DatadogLinks } from '../datadog/links';
import { alertLogsQuery, searchValue } from '../datadog/queries';
import { keepChangedLines } from './condense';
import type { NamedHost } from './named-hosts';
import type { OriginSummary } from './origins';
import type { AlertContext, Role, SourceOutcome } from '../contracts/rca';
import type { StoredPrometheus } from '../prometheus/reads';

/** What the account's Prometheus said about the alert: its expression's series (onset, baseline) and its rule's state. */
export type PrometheusEvidence = Omit<StoredPrometheus, 'health'>;

/** A mined log template as evidence: counts, when it appeared, where, one example, why it is suspicious. */
export interface LogTemplateEvidence {
  template: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  hosts: string[];
  services: string[];
  level: string;
  example: string;
  suspicion: number;
  why: string[];
  /** The logs query that found it when not the alert's own `logQuery` (the alert host's other lines, its peers' errors). */
  search?: string;
  /** The logs query narrowed to the template's longest constant text; set by the bundle. */
  link?: string;
}

export interface EventEvidence {
  at: string;
  title: string;
  text: string;
  source?: string;
  tags: string[];
  relevance: number;
  why: string[];
  link: string;
}

export interface MetricEvidence {
  label: string;
  query: string;
  scope: string;
  min: number;
  max: number;
  last: number;
  baseline: number;
  recent: number;
  /** recent / baseline, when the baseline is not zero. */
  change?: number;
  points: Array<[number, number]>;
  link: string;
}

/** One read of the investigating analyst: the tool, its input, and what came back, condensed. */
export interface InvestigationRead {
  tool: string;
  input: Record<string, unknown>;
  ok: boolean;
  result: string;
}

export interface SimilarIncident {
  id: string;
  title: string;
  rootCause: string;
  category: string;
  score: number;
  confirmed: boolean;
  links: Record<string, string | undefined>;
}

/** Everything the analyst sees, bounded in size, every item with a Datadog link (events over the change window, the rest over the 30 minutes). */
/** The other alerts of an RCA's incident group: the outage as a whole, as seen so far. */
export interface GroupEvidence {
  groupId: string;
  /** Every member, of which the first GROUP_MEMBERS_SHOWN (in firing order) are listed. */
  memberCount: number;
  services: string[];
  hosts: string[];
  /** The member that fired first: the symptom nearest the cause that timing alone can name. */
  firstToFire: string;
  members: Array<{
    eventId: string;
    monitorId: string;
    monitorName?: string;
    service?: string;
    hostname?: string;
    status: string;
    at: string;
  }>;
}

export const GROUP_MEMBERS_SHOWN = 50;

export interface EvidenceBundle {
  rcaId: string;
  role: Role;
  roleReason: string;
  alert: AlertContext;
  window: { from: string; to: string };
  /** Where events were read, wider than `window`: changes precede symptoms by hours, and land after the alert fires. */
  changeWindow?: { from: string; to: string };
  links: { monitor: string; logs?: string; events: string; host?: string };
  monitor?: Record<string, unknown>;
  host?: Record<string, unknown>;
  logQuery?: string;
  logLines: number;
  logTemplates: LogTemplateEvidence[];
  /** Hosts that error lines name by address or name (a dependency the alert's tags never give), with their Datadog state. */
  namedHosts?: NamedHost[];
  /** Request logs' top origins (user agent family, client /16, campaign) just before the alert against an hour earlier. */
  origins?: OriginSummary;
  events: EventEvidence[];
  metrics: MetricEvidence[];
  similar: SimilarIncident[];
  group?: GroupEvidence;
  prometheus?: PrometheusEvidence;
  /** What the investigating analyst read after the prefetch, call by call: the rest of the evidence. */
  investigation?: InvestigationRead[];
  missing: Array<{ source: string; reason: string }>;
  omitted: Record<string, number>;
  tokenEstimate: number;
}

export interface BundleInputs {
  rcaId: string;
  role: { role: Role; reason: string };
  alert: AlertContext;
  accountBaseUrl: string;
  window: { from: Date; to: Date };
  /** Where events were read; `window` when not given. */
  changeWindow?: { from: Date; to: Date };
  sources: SourceOutcome[];
  monitor?: Record<string, unknown>;
  host?: Record<string, unknown>;
  logQuery?: string;
  logLines: number;
  templates: LogTemplateEvidence[];
  namedHosts?: NamedHost[];
  origins?: OriginSummary;
  events: Array<Omit<EventEvidence, 'relevance' | 'why' | 'link'> & { id?: string }>;
  /** A metric read from Prometheus comes with its own link; Datadog's get one to the metrics explorer. */
  metrics: Array<Omit<MetricEvidence, 'change' | 'link'> & { link?: string }>;
  similar: SimilarIncident[];
  group?: GroupEvidence;
  prometheus?: PrometheusEvidence;
  tokenBudget: number;
}

/** Tokens as analysts' tokenizers count English and JSON, roughly: four characters each. */
export const estimateTokens = (value: unknown) => Math.ceil(JSON.stringify(value).length / 4);

const CHANGE_WORDS =
  /\b(deploy(ed|ment)?|release[ds]?|rollout|rolled|rollback|config(uration)?|feature flag|flag|migration|scal(ed|ing)|upgrade[ds]?|restart(ed)?|terminated|cordon(ed)?|drain(ed)?|cert(ificate)?|rotat(ed|ion))\b/i;
// A container that restarts or terminates because it failed is a symptom, not a change someone
// made; a failed deploy or rollback still is one.
const FAILURE_WORDS = /\b(oom(killed)?|out of memory|back-?off|crash(loop|ed)?|failed|failing|unhealthy|evicted|error)\b/i;
const DEPLOY_WORDS = /\b(deploy(ed|ment)?|release[ds]?|rollout|rollback|migration)\b/i;
const CHANGE_SOURCES = new Set([
  'deploy',
  'deployment',
  'github',
  'jenkins',
  'argocd',
  'spinnaker',
  'kubernetes',
  'config',
  'terraform',
  'launchdarkly',
  'chef',
  'puppet',
  'ansible',
]);

// An event's recency bonus fades to nothing over the change window's three hours.
const RECENCY_MINUTES = 180;

/** Ranks events: changes first, then those about the alert's host or service, then the most recent. */
export function rankEvents(events: BundleInputs['events'], alert: AlertContext, links: DatadogLinks, alertMs: number): EventEvidence[] {
  const names = [alert.hostname, alert.service].filter((n): n is string => !!n).map((n) => n.toLowerCase());
  return events
    .map((e) => {
      const why: string[] = [];
      const haystack = `${e.title} ${e.text} ${e.tags.join(' ')}`.toLowerCase();
      const text = `${e.title} ${e.text}`;
      const symptom = FAILURE_WORDS.test(text) && !DEPLOY_WORDS.test(text);
      const minutes = (alertMs - Date.parse(e.at)) / 60_000;
      // A change made after the alert fired cannot have caused it; it stays listed as what happened next.
      const isChange = !symptom && minutes >= 0 && (CHANGE_SOURCES.has((e.source ?? '').toLowerCase()) || CHANGE_WORDS.test(text));
      if (isChange) why.push('a change');
      const related = names.filter((n) => haystack.includes(n));
      if (related.length) why.push(`mentions ${related.join(', ')}`);
      why.push(minutes >= 0 ? `${Math.round(minutes)} min before the alert` : `${Math.round(-minutes)} min after the alert`);
      // Nearer the alert is likelier the trigger; one that landed just after it counts as at it.
      const relevance = (isChange ? 2 : 0) + (related.length ? 2 : 0) + Math.max(0, 1 - Math.max(0, minutes) / RECENCY_MINUTES);
      const link = e.id ? links.event(e.id) : links.events(searchValue(e.title));
      return {
        at: e.at,
        title: e.title,
        text: keepChangedLines(e.text, 400),
        source: e.source,
        tags: e.tags.slice(0, 12),
        relevance: Math.round(relevance * 100) / 100,
        why,
        link,
      };
    })
    .sort((a, b) => b.relevance - a.relevance || b.at.localeCompare(a.at));
}

/** The alert's logs query narrowed to a template's longest constant phrase. */
export function templateQuery(logsQuery: string | undefined, template: string): string {
  const phrase =
    template
      .split('<*>')
      .map((p) => p.trim())
      .sort((a, b) => b.length - a.length)[0]
      ?.slice(0, 80) ?? '';
  const text = phrase ? `"${phrase.replace(/["\\]/g, '\\$&')}"` : '';
  return [logsQuery, text].filter(Boolean).join(' ') || '*';
}

/** Metrics ordered by how far the last minutes moved from the baseline. */
export function rankMetrics(metrics: BundleInputs['metrics'], links: DatadogLinks): MetricEvidence[] {
  return metrics
    .map((m) => ({
      ...m,
      change: m.baseline !== 0 ? Math.round((m.recent / m.baseline) * 100) / 100 : undefined,
      link: m.link ?? links.metric(m.query),
    }))
    .sort((a, b) => Math.abs(Math.log(b.change ?? 1)) - Math.abs(Math.log(a.change ?? 1)));
}

// Trimmed first when over budget, but each keeps at least this many items.
const TRIM_ORDER: ReadonlyArray<['events' | 'logTemplates' | 'metrics' | 'similar', number]> = [
  ['events', 3],
  ['logTemplates', 5],
  ['metrics', 3],
  ['similar', 2],
];

/**
 * The evidence bundle: ranked sources with links, missing sources with why, then trimmed from
 * the least relevant end of the largest section until it fits the token budget.
 */
export function buildEvidenceBundle(input: BundleInputs): EvidenceBundle {
  const { alert, window } = input;
  const links = new DatadogLinks(input.accountBaseUrl, window);
  const changeWindow = input.changeWindow ?? window;
  const changeLinks = new DatadogLinks(input.accountBaseUrl, changeWindow);
  const logsQuery = input.logQuery ?? alertLogsQuery(alert);
  const bundle: EvidenceBundle = {
    rcaId: input.rcaId,
    role: input.role.role,
    roleReason: input.role.reason,
    alert,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    ...(input.changeWindow ? { changeWindow: { from: changeWindow.from.toISOString(), to: changeWindow.to.toISOString() } } : {}),
    links: {
      monitor: links.monitor(alert.monitorId),
      logs: logsQuery ? links.logs(logsQuery) : undefined,
      events: changeLinks.events(alert.service ? `service:${searchValue(alert.service)}` : '*'),
      host: alert.hostname ? links.host(alert.hostname) : undefined,
    },
    monitor: input.monitor,
    host: input.host,
    logQuery: logsQuery,
    logLines: input.logLines,
    logTemplates: input.templates.map((t) => ({ ...t, link: links.logs(templateQuery(t.search ?? logsQuery, t.template)) })),
    ...(input.namedHosts?.length ? { namedHosts: input.namedHosts } : {}),
    ...(input.origins ? { origins: input.origins } : {}),
    events: rankEvents(input.events, alert, changeLinks, window.to.getTime()),
    metrics: rankMetrics(input.metrics, links),
    similar: input.similar,
    ...(input.group ? { group: input.group } : {}),
    ...(input.prometheus ? { prometheus: input.prometheus } : {}),
    // No similar incident is an answer, not a gap; a failed search is a gap.
    missing: input.sources
      .filter((s) => s.status !== 'ok' && !(s.source === 'similar' && s.status === 'empty'))
      .map((s) => ({ source: s.source, reason: s.reason ?? s.status })),
    omitted: {},
    tokenEstimate: 0,
  };
  // Room for the estimate's own digits, which count too.
  trimToBudget(bundle, input.tokenBudget - 2);
  bundle.tokenEstimate = estimateTokens(bundle);
  bundle.tokenEstimate = estimateTokens(bundle);
  return bundle;
}

function trimToBudget(bundle: EvidenceBundle, budget: number): void {
  while (estimateTokens(bundle) > budget) {
    const candidates = TRIM_ORDER.filter(([key, keep]) => bundle[key].length > keep);
    if (candidates.length === 0) return;
    const [largest] = candidates.reduce((a, b) => (estimateTokens(bundle[b[0]]) > estimateTokens(bundle[a[0]]) ? b : a));
    (bundle[largest] as unknown[]).pop();
    bundle.omitted[largest] = (bundle.omitted[largest] ?? 0) + 1;
  }
}

/** One line for workflow history and people: what the bundle holds and what is missing. */
export function summarizeBundle(b: EvidenceBundle): string {
  const newTemplates = b.logTemplates.filter((t) => t.why.some((w) => w.startsWith('new'))).length;
  const changes = b.events.filter((e) => e.why.includes('a change')).length;
  const parts = [
    `${b.logTemplates.length} log templates from ${b.logLines} lines${newTemplates ? ` (${newTemplates} new before the alert)` : ''}`,
    `${b.events.length} events${changes ? ` (${changes} changes)` : ''}`,
    `${b.metrics.length} metric series`,
    `${b.similar.length} similar incidents`,
    ...(b.namedHosts?.length
      ? [`${b.namedHosts.length} hosts named in errors (${b.namedHosts.filter((h) => h.up === false).length} down)`]
      : []),
    ...(b.origins ? [`request origins from ${b.origins.recentLines} recent lines`] : []),
    ...(b.prometheus ? [prometheusSummary(b.prometheus)] : []),
    ...(b.group
      ? [`${b.group.memberCount} alerts in group ${b.group.groupId} (${b.group.services.length} services, ${b.group.hosts.length} hosts)`]
      : []),
  ];
  const missing = b.missing.length ? `; missing: ${b.missing.map((m) => `${m.source} (${m.reason})`).join(', ')}` : '';
  return `${parts.join(', ')}; ~${b.tokenEstimate} tokens${missing}`.slice(0, 1000);
}

function prometheusSummary(p: PrometheusEvidence): string {
  const expression = p.expression
    ? `${p.expression.series.length} series of ${p.expression.query}${p.expression.onset ? ` (onset ${p.expression.onset})` : ''}`
    : 'no alerting expression';
  return `Prometheus: ${expression}${p.rule ? `, rule ${p.rule.name} ${p.rule.state ?? ''}`.trimEnd() : ''}`;
}
