import type { v1 } from '@datadog/datadog-api-client';
import type { EvidenceItem, Hypothesis, StoredAnalysis } from '../analysis/report';
import { monitorMetric } from '../datadog/queries';
import type { EvidenceBundle } from '../evidence/bundle';

/** Links that exist outside the bundle: the RCA in Rayne, the Temporal run that produced it. */
export interface NotebookLinks {
  rca?: string;
  temporalRun?: string;
}

/** Prefixed to a notebook's name once its monitor recovered. */
export const RESOLVED_PREFIX = '[RESOLVED] ';
// Datadog refuses notebook names over 80 characters; the resolved prefix must still fit.
const MAX_NAME = 80 - RESOLVED_PREFIX.length;
const RESOLVED_BANNER = '## ✅ RESOLVED';
const MAX_LOG_TEMPLATES = 8;
const MAX_EVENTS = 8;

/** One part of the report: Markdown everywhere, a timeseries graph where Datadog can draw one. */
type Section = { kind: 'markdown'; text: string } | { kind: 'timeseries'; title: string; query: string; fallback: string };

/** Text that Markdown shows as written (titles hold brackets, names hold underscores). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

/** A Markdown link, or the bare text when the URL is not http(s) (an analyst may copy anything). */
function link(text: string, url: string | undefined): string {
  const label = escapeMarkdown(text);
  if (!url || !/^https?:\/\//i.test(url)) return label;
  return `[${label}](${url.replace(/[()\s]/g, (c) => encodeURIComponent(c))})`;
}

/** The RCA as the API addresses it: `123` for rca/123, the encoded full id for a re-run. */
export function rcaPathId(rcaId: string): string {
  return rcaId.match(/^rca\/(\d+)$/)?.[1] ?? encodeURIComponent(rcaId);
}

/** What the notebook is about: the monitor's name, else the alert title, else its id. */
function subject(bundle: EvidenceBundle): string {
  const { alert } = bundle;
  return alert.monitorName?.trim() || alert.title?.trim() || `monitor ${alert.monitorId}`;
}

/**
 * The notebook's name, `RCA: <monitor name or title> (<eventId>)`: deterministic, so a retry
 * finds the notebook by name; the subject is shortened so the name, resolved, stays within 80.
 */
export function notebookName(bundle: EvidenceBundle): string {
  const suffix = ` (${bundle.alert.eventId})`;
  const room = MAX_NAME - 'RCA: '.length - suffix.length;
  const text = subject(bundle);
  const shortened = text.length > room ? `${text.slice(0, Math.max(1, room - 1)).trimEnd()}…` : text;
  return `RCA: ${shortened}${suffix}`;
}

/** Whether a notebook name carries the resolved prefix. */
export const isResolvedName = (name: string) => name.startsWith(RESOLVED_PREFIX);

/** The Datadog app a bundle's links point into (the sandbox's URL in tests). */
function appOrigin(bundle: EvidenceBundle): string {
  return new URL(bundle.links.monitor).origin;
}

function windowMs(bundle: EvidenceBundle) {
  return { from: Date.parse(bundle.window.from), to: Date.parse(bundle.window.to) };
}

/** APM pages pinned to the bundle window (APM pages take start/end and paused rather than from_ts/to_ts). */
function apmLinks(bundle: EvidenceBundle, service: string) {
  const { from, to } = windowMs(bundle);
  const params = (extra: Record<string, string>) =>
    new URLSearchParams({ ...extra, start: String(from), end: String(to), paused: 'true' }).toString();
  const env = bundle.alert.tags.find((t) => t.startsWith('env:'))?.slice(4);
  return {
    service: `${appOrigin(bundle)}/apm/services/${encodeURIComponent(service)}?${params(env ? { env } : {})}`,
    traces: `${appOrigin(bundle)}/apm/traces?${params({ query: `service:${service}${env ? ` env:${env}` : ''}` })}`,
  };
}

/** The graph for the notebook: host CPU when a host is known, else the monitor's own metric. */
export function cpuQuery(bundle: EvidenceBundle): { title: string; query: string } | undefined {
  if (bundle.alert.hostname)
    return { title: `CPU user % on ${bundle.alert.hostname}`, query: `avg:system.cpu.user{host:${bundle.alert.hostname}}` };
  const monitorQuery = typeof bundle.monitor?.query === 'string' ? bundle.monitor.query : undefined;
  const own = monitorQuery ? monitorMetric(monitorQuery) : undefined;
  if (!own) return undefined;
  const scope =
    bundle.alert.scope && bundle.alert.scope !== '*' ? bundle.alert.scope : bundle.alert.service ? `service:${bundle.alert.service}` : '*';
  return { title: `Monitor metric ${own.metric}`, query: `${own.aggregator}:${own.metric}{${scope}}` };
}

const pct = (n: number) => `${Math.round(n * 100)}%`;
const bullets = (items: string[], empty: string) => (items.length ? items.map((i) => `- ${i}`).join('\n') : `_${empty}_`);

function headerSection(bundle: EvidenceBundle): string {
  const { alert } = bundle;
  const facts = [
    `**Monitor:** ${link(subject(bundle), bundle.links.monitor)}${alert.monitorType ? ` (${escapeMarkdown(alert.monitorType)})` : ''}`,
    alert.hostname ? `**Host:** ${link(alert.hostname, bundle.links.host)}` : undefined,
    alert.service ? `**Service:** ${link(alert.service, apmLinks(bundle, alert.service).service)}` : undefined,
    `**Status:** ${escapeMarkdown(alert.status)} at ${alert.alertTime}`,
    `**Scope:** ${code(alert.scope)} · **Account:** ${escapeMarkdown(alert.account)} · **Role:** ${bundle.role}`,
    `**Evidence window:** ${bundle.window.from} → ${bundle.window.to}`,
  ].filter((f): f is string => !!f);
  return [
    `# RCA: ${escapeMarkdown(subject(bundle))}`,
    alert.title && alert.title !== subject(bundle) ? `> ${escapeMarkdown(alert.title)}` : undefined,
    facts.join('  \n'),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function quickLinksSection(bundle: EvidenceBundle): string {
  const items = [
    bundle.links.logs ? link('Logs (error and warn, 30 min)', bundle.links.logs) : undefined,
    link('Events (30 min)', bundle.links.events),
    bundle.links.host ? link(`Host ${bundle.alert.hostname ?? ''} (30 min)`.replace('  ', ' '), bundle.links.host) : undefined,
    link('Monitor (30 min)', bundle.links.monitor),
  ].filter((i): i is string => !!i);
  return `## Quick links\n\n${bullets(items, 'none')}`;
}

const citation = (e: EvidenceItem) => `${link(e.claim, e.link)} _(${escapeMarkdown(e.source)})_`;

/** Ranked hypotheses, each with the evidence for and against it; a report stored before hypotheses existed has none to show. */
function hypothesesPart(hypotheses: readonly Hypothesis[] | undefined): string | undefined {
  if (!hypotheses?.length) return undefined;
  const cited = (label: string, items: readonly EvidenceItem[]) =>
    `   - ${label}: ${items.length ? items.map(citation).join('; ') : '_none_'}`;
  const items = hypotheses.map((h, i) =>
    [
      `${i + 1}. ${code(h.category)} · **${escapeMarkdown(h.culprit)}** — ${escapeMarkdown(h.statement)}`,
      cited('for', h.supporting),
      cited('against', h.against),
    ].join('\n'),
  );
  return `### Hypotheses\n\n${items.join('\n')}`;
}

function analysisSection(bundle: EvidenceBundle, result: StoredAnalysis): string {
  const { report, usage } = result;
  // The offline analyst copies the bundle's missing sources into its report: each line once.
  const missing = [
    ...new Set([
      ...report.missing_data.map(escapeMarkdown),
      ...bundle.missing.map((m) => `${escapeMarkdown(m.source)}: ${escapeMarkdown(m.reason)}`),
    ]),
  ];
  const by = `${result.analyst}${result.model ? ` (${escapeMarkdown(result.model)})` : ''}`;
  const verdict = report.verdict ? `**Verdict:** ${report.verdict} · ` : '';
  return [
    '## Analysis',
    escapeMarkdown(report.summary),
    `**Root cause:** ${escapeMarkdown(report.root_cause)}  \n${verdict}**Category:** ${code(report.category)} · **Confidence:** ${pct(report.confidence)}`,
    hypothesesPart(report.hypotheses),
    `### Evidence\n\n${bullets(report.evidence.map(citation), 'no evidence cited')}`,
    `### Remediation\n\n${report.remediation.length ? report.remediation.map((r, i) => `${i + 1}. ${escapeMarkdown(r)}`).join('\n') : '_none proposed_'}`,
    `### Missing data\n\n${bullets(missing, 'nothing missing')}`,
    `_Analyst: ${by} · ${usage.turns} turns, ${usage.toolCalls} tool calls, ${usage.inputTokens + usage.outputTokens} tokens, $${usage.estimatedCostUsd.toFixed(4)} · ${result.timings.ms} ms_`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

function logsSection(bundle: EvidenceBundle): string {
  const templates = bundle.logTemplates
    .slice(0, MAX_LOG_TEMPLATES)
    .map(
      (t) =>
        `${link(`${t.count}× ${t.level}`, t.link)} ${code(t.template.slice(0, 300))}  \n  ${escapeMarkdown(t.why.join('; '))} · ${t.firstSeen} → ${t.lastSeen}${t.hosts.length ? ` · hosts ${escapeMarkdown(t.hosts.join(', '))}` : ''}`,
    );
  const more = bundle.logTemplates.length - templates.length + (bundle.omitted.logTemplates ?? 0);
  return [
    '## Logs',
    `${bundle.logLines} lines from ${bundle.logQuery ? code(bundle.logQuery) : 'no query'}, mined into ${bundle.logTemplates.length} templates, most suspicious first. ${link('Open in Log Explorer', bundle.links.logs)}`,
    bullets(templates, 'no error or warning logs in the window'),
    more > 0 ? `_${more} more templates not shown._` : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
}

function apmSection(bundle: EvidenceBundle): string {
  const { service } = bundle.alert;
  const traceMetrics = bundle.metrics.filter((m) => m.query.includes('trace.'));
  const figures = traceMetrics.map(
    (m) =>
      `${link(m.label, m.link)}: last ${m.last}, baseline ${m.baseline} → recent ${m.recent}${m.change !== undefined ? ` (×${m.change})` : ''}`,
  );
  if (!service)
    return ['## APM', '_The alert names no service._', figures.length ? bullets(figures, '') : undefined].filter(Boolean).join('\n\n');
  const apm = apmLinks(bundle, service);
  return [
    '## APM',
    `${link(`Service ${service}`, apm.service)} · ${link('Traces (30 min)', apm.traces)}`,
    bullets(figures, 'no trace metrics in the evidence'),
  ].join('\n\n');
}

function eventsSection(bundle: EvidenceBundle): string {
  const events = bundle.events.slice(0, MAX_EVENTS).map((e) => `${link(e.title, e.link)} · ${e.at} · ${escapeMarkdown(e.why.join('; '))}`);
  return `## Events and changes\n\n${bullets(events, 'no events in the window')}\n\n${link('All events (30 min)', bundle.links.events)}`;
}

function metricsFallback(bundle: EvidenceBundle, query: string): string {
  const m = bundle.metrics.find((x) => x.query === query);
  const figures = m ? ` min ${m.min}, max ${m.max}, last ${m.last}; baseline ${m.baseline} → recent ${m.recent}.` : '';
  return `${link(query, m?.link ?? metricExplorer(bundle, query))}${figures}`;
}

function metricExplorer(bundle: EvidenceBundle, query: string): string {
  const { from, to } = windowMs(bundle);
  return `${appOrigin(bundle)}/metric/explorer?${new URLSearchParams({ exp_metric: query, from_ts: String(from), to_ts: String(to), live: 'false' })}`;
}

function similarSection(bundle: EvidenceBundle): string {
  const items = bundle.similar.map((s) => {
    const url = Object.values(s.links).find((l): l is string => !!l);
    return `${link(s.title, url)} — score ${s.score.toFixed(2)}${s.confirmed ? ', confirmed' : ''} · ${code(s.category)}: ${escapeMarkdown(s.rootCause)}`;
  });
  return `## Similar incidents\n\n${bullets(items, 'no similar past incident')}`;
}

function footerSection(bundle: EvidenceBundle, links: NotebookLinks): string {
  const id = rcaPathId(bundle.rcaId);
  const items = [
    `Re-run the analysis: ${code(`rayne rca rerun ${bundle.alert.eventId}`)}`,
    links.temporalRun ? link('Temporal run', links.temporalRun) : `Temporal workflow: ${code(bundle.rcaId)}`,
    links.rca ? link('This RCA in Rayne', links.rca) : undefined,
    `Feedback: ${code(`POST /v1/rca/${id}/feedback`)}`,
  ].filter((i): i is string => !!i);
  return `## Actions\n\n${bullets(items, '')}\n\n_Generated by Rayne for ${code(bundle.rcaId)}._`;
}

function sections(bundle: EvidenceBundle, result: StoredAnalysis, links: NotebookLinks): Section[] {
  const md = (text: string): Section => ({ kind: 'markdown', text });
  const graph = cpuQuery(bundle);
  return [
    md(headerSection(bundle)),
    md(quickLinksSection(bundle)),
    md(analysisSection(bundle, result)),
    ...(graph
      ? [{ kind: 'timeseries' as const, title: graph.title, query: graph.query, fallback: metricsFallback(bundle, graph.query) }]
      : []),
    md(logsSection(bundle)),
    md(apmSection(bundle)),
    md(eventsSection(bundle)),
    md(similarSection(bundle)),
    md(footerSection(bundle, links)),
  ];
}

const markdownCell = (text: string): v1.NotebookCellCreateRequest => ({
  type: 'notebook_cells',
  attributes: { definition: { type: 'markdown', text } },
});

/** The bundle window as Datadog's absolute time, not live: the notebook shows the alert, not now. */
function windowTime(bundle: EvidenceBundle): v1.NotebookAbsoluteTime {
  return { start: new Date(bundle.window.from), end: new Date(bundle.window.to), live: false };
}

/**
 * The Datadog notebook of an RCA: header, quick links, the analysis, a CPU graph over the
 * evidence window, logs, APM, events, similar incidents and actions. Pure; the name is
 * deterministic (see notebookName) so publishing can find a notebook it created before.
 */
export function buildNotebook(bundle: EvidenceBundle, result: StoredAnalysis, links: NotebookLinks = {}): v1.NotebookCreateRequest {
  const time = windowTime(bundle);
  const cells = sections(bundle, result, links).map((s): v1.NotebookCellCreateRequest =>
    s.kind === 'markdown'
      ? markdownCell(s.text)
      : {
          type: 'notebook_cells',
          attributes: {
            definition: { type: 'timeseries', title: s.title, showLegend: true, requests: [{ q: s.query, displayType: 'line' }] },
            graphSize: 'm',
            time,
          },
        },
  );
  return {
    data: {
      type: 'notebooks',
      attributes: { name: notebookName(bundle), cells, time, status: 'published', metadata: { type: 'investigation' } },
    },
  };
}

/**
 * The same report as Markdown, for when there is no Datadog (served by the notebook endpoint).
 * With `resolvedAt`, it opens with the same RESOLVED banner the notebook gets.
 */
export function renderMarkdown(
  bundle: EvidenceBundle,
  result: StoredAnalysis,
  links: NotebookLinks = {},
  options: { resolvedAt?: Date | string } = {},
): string {
  const parts = sections(bundle, result, links).map((s) =>
    s.kind === 'markdown' ? s.text : `## ${escapeMarkdown(s.title)}\n\n${s.fallback}`,
  );
  if (options.resolvedAt) parts.unshift(resolvedBanner(options.resolvedAt));
  return `${parts.join('\n\n---\n\n')}\n`;
}

function resolvedBanner(resolvedAt?: Date | string): string {
  const at = resolvedAt ? ` at ${new Date(resolvedAt).toISOString()}` : '';
  return `${RESOLVED_BANNER}\n\n**Status: RESOLVED** — the monitor recovered${at}. The analysis below is kept as it was written during the alert.`;
}

/** A notebook as a create body or as Datadog answers it (GET /api/v1/notebooks/{id}). */
export type NotebookDocument = v1.NotebookCreateRequest | v1.NotebookUpdateRequest | v1.NotebookResponse;

function isBannerCell(cell: unknown): boolean {
  const text = (cell as { attributes?: { definition?: { type?: unknown; text?: unknown } } }).attributes?.definition;
  return text?.type === 'markdown' && typeof text.text === 'string' && text.text.startsWith(RESOLVED_BANNER);
}

/** Whether a notebook was already marked resolved (by name or banner). */
export function isResolved(notebook: NotebookDocument): boolean {
  const attributes = notebook.data?.attributes;
  if (!attributes) return false;
  return isResolvedName(attributes.name) || (attributes.cells as unknown[]).some(isBannerCell);
}

/**
 * The update body that marks a notebook resolved: a RESOLVED banner cell first, the name
 * prefixed `[RESOLVED] `, every existing cell kept (by id when Datadog gave one). Marking a
 * resolved notebook again returns it unchanged.
 */
export function markResolved(notebook: NotebookDocument, resolvedAt?: Date | string): v1.NotebookUpdateRequest {
  const attributes = notebook.data?.attributes;
  if (!attributes) throw new Error('markResolved: the notebook has no attributes');
  const cells = (attributes.cells as Array<v1.NotebookCellCreateRequest | v1.NotebookCellUpdateRequest>).map((c): v1.NotebookUpdateCell =>
    'id' in c && c.id
      ? { id: c.id, type: 'notebook_cells', attributes: c.attributes }
      : { type: 'notebook_cells', attributes: c.attributes },
  );
  const metadata = attributes.metadata && {
    ...(attributes.metadata.isTemplate !== undefined ? { isTemplate: attributes.metadata.isTemplate } : {}),
    ...(attributes.metadata.takeSnapshots !== undefined ? { takeSnapshots: attributes.metadata.takeSnapshots } : {}),
    ...(attributes.metadata.type ? { type: attributes.metadata.type } : {}),
  };
  const already = isResolved(notebook);
  return {
    data: {
      type: 'notebooks',
      attributes: {
        name: isResolvedName(attributes.name) ? attributes.name : `${RESOLVED_PREFIX}${attributes.name}`.slice(0, 80),
        cells: already && cells.some(isBannerCell) ? cells : [markdownCell(resolvedBanner(resolvedAt)), ...cells],
        time: attributes.time,
        status: 'published',
        ...(metadata ? { metadata } : {}),
      },
    },
  };
}

/**
 * What a notebook says, independent of cell ids, casing and Date objects: compared to decide
 * whether a stored notebook needs an update.
 */
export function notebookFingerprint(notebook: NotebookDocument): string {
  const attributes = notebook.data?.attributes;
  if (!attributes) return '';
  const cells = (attributes.cells as Array<{ attributes?: { definition?: Record<string, unknown> } }>).map((c) => {
    const d = c.attributes?.definition ?? {};
    const requests = Array.isArray(d.requests) ? (d.requests as Array<{ q?: string }>).map((r) => r.q ?? '') : [];
    return [d.type, d.text ?? '', d.title ?? '', ...requests];
  });
  return JSON.stringify([attributes.name, cells]);
}
