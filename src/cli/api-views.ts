/** How the API commands show the API's answers to people; `--json` prints the answers themselves. */
import type { EvidenceItem, Hypothesis } from '../analysis/report';
import type { RcaResult } from '../contracts/rca';
import { duration, formatTable, time } from '../text-format';
import type { GithubAcceptResult } from '../intake/github-intake';
import type { TransitionRecord } from '../contracts/incident';
import type { JsonRow } from '../db/rows';
import type { EventSummaryRow, ProcessorRunRow } from '../events/store';
import type { RunRow, RunSummaryRow } from '../rca/store';

interface Links {
  temporal_run?: string | null;
  notebook?: string | null;
  retry?: string;
}

/** POST /v1/webhooks/receive[/:account]; a redelivery of a dead letter says so in status and message. */
export interface Accepted {
  event_id: string;
  workflow_id: string;
  run_id: string | null;
  duplicate: boolean;
  status?: string;
  message?: string;
  links?: Links;
}

/** POST /v1/webhooks/events/:id/retry. */
export interface Retried {
  event_id: string;
  workflow_id: string;
  run_id: string;
  status: string;
  links?: Links;
}

/** What one retry of `rayne events retry --status` came to: the API's answer, started or refused. */
export interface RetryOutcome {
  event_id: string;
  http_status: number;
  answer: Retried | { error?: { code?: string; message?: string } };
}

/** POST /v1/webhooks/github/issues: what the intake answered, with links. */
export type GithubAccepted = GithubAcceptResult & { links?: Links };

/** A row of GET /v1/webhooks/events. */
export type EventSummary = JsonRow<EventSummaryRow>;

/** GET /v1/webhooks/events/:id. */
export interface EventDetail extends EventSummary {
  processing: TransitionRecord | null;
  processor_runs: Array<JsonRow<ProcessorRunRow>>;
  workflow: { status: string; error?: string; close_time?: string | null };
  links?: Links;
}

/** A row of GET /v1/rca. */
export type RcaSummary = JsonRow<RunSummaryRow>;

/** GET /v1/rca/:id. */
export interface RcaDetail extends JsonRow<RunRow> {
  live: RcaResult | null;
  links: Links;
}

/** POST /v1/rca/:id/rerun. */
export interface RerunStarted {
  rca_id: string;
  workflow_id: string;
  run_id: string;
}

const clip = (text: string | null | undefined, max: number): string => {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat || '-';
};

/** `key  value` lines, keys aligned; empty values are left out. */
function fields(pairs: Array<[string, string | number | null | undefined]>): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

const section = (title: string, lines: string[]): string => (lines.length ? `\n${title}\n${lines.map((l) => `  ${l}`).join('\n')}` : '');

export function sentView(a: Accepted): string {
  return (
    fields([
      ['event', a.event_id],
      ['duplicate', a.duplicate ? 'yes (a redelivery of a stored event; nothing changed)' : 'no'],
      ['status', a.status],
      ['workflow', a.workflow_id],
      ['run', a.run_id],
      ['temporal', a.links?.temporal_run],
    ]) + (a.message ? `\n\n${a.message}` : '')
  );
}

export function retriedView(r: Retried): string {
  return fields([
    ['event', r.event_id],
    ['status', r.status],
    ['workflow', r.workflow_id],
    ['run', r.run_id],
    ['temporal', r.links?.temporal_run],
  ]);
}

/** One row per retried event: started with its run, or the API's refusal (rejected again, Temporal away…). */
export function retriesTable(outcomes: RetryOutcome[]): string {
  if (outcomes.length === 0) return 'no events to retry';
  return formatTable(
    ['ID', 'RESULT', 'DETAIL'],
    outcomes.map(({ event_id, answer }) =>
      'run_id' in answer
        ? [event_id, answer.status, `run ${answer.run_id}`]
        : [event_id, answer.error?.code ?? 'failed', clip(answer.error?.message, 120)],
    ),
  ).join('\n');
}

export function githubSentView(a: GithubAccepted): string {
  return fields([
    ['event', a.event_id],
    ['delivery', a.delivery_id],
    ['status', a.reason ? `${a.status} (${a.reason})` : a.status],
    ['duplicate', a.duplicate ? 'yes (a redelivery of a stored delivery; nothing changed)' : 'no'],
    ['workflow', a.workflow_id],
    ['temporal', a.links?.temporal_run],
  ]);
}

export function eventsTable(events: EventSummary[]): string {
  if (events.length === 0) return 'no events';
  return formatTable(
    ['ID', 'RECEIVED', 'ACCOUNT', 'MONITOR', 'ALERT', 'STATUS', 'SCOPE', 'NAME'],
    events.map((e) => [
      e.id,
      time(e.received_at),
      e.account,
      e.monitor_id,
      e.alert_status,
      e.status,
      clip(e.scope, 40),
      clip(e.monitor_name, 50),
    ]),
  ).join('\n');
}

export function eventView(e: EventDetail): string {
  const p = e.processing;
  const decision =
    p &&
    [
      `episode ${p.episode}`,
      p.previousStatus ? `${p.previousStatus} -> ${p.status}` : p.status,
      p.repeat && 'repeat',
      p.closesIncident && 'closes the incident',
      p.rcaId ? `RCA ${p.rcaId}` : p.startRca && 'RCA due',
      p.tier1?.flapping && 'flapping',
    ]
      .filter(Boolean)
      .join(', ');
  const runs = e.processor_runs.map((r) => [
    r.processor,
    clip(r.target, 40),
    r.status,
    String(r.attempts),
    r.latency_ms === null ? '-' : `${r.latency_ms} ms`,
    clip(r.error ?? r.detail, 60),
  ]);
  return (
    fields([
      ['event', e.id],
      ['account', e.account],
      ['monitor', [e.monitor_id, e.monitor_name].filter(Boolean).join('  ')],
      ['alert', e.alert_status],
      ['alert id', e.alert_id],
      ['transition', e.transition_id],
      ['host', e.hostname],
      ['service', e.service],
      ['scope', e.scope],
      ['status', e.status],
      ['received', time(e.received_at)],
      ['started', e.started_at && time(e.started_at)],
      ['processed', e.processed_at && time(e.processed_at)],
      ['last error', e.last_error],
      ['decision', decision],
      ['workflow', `${e.workflow_id}  (${e.workflow.status}${e.workflow.error ? `: ${e.workflow.error}` : ''})`],
      ['run', e.run_id],
      ['temporal', e.links?.temporal_run],
    ]) +
    section(
      'tier-1 processors',
      runs.length ? formatTable(['PROCESSOR', 'TARGET', 'STATUS', 'ATTEMPTS', 'LATENCY', 'ERROR/DETAIL'], runs) : [],
    ) +
    section(
      'skipped',
      (p?.tier1?.skipped ?? []).map((s) => `${s.processor} ${s.target}: ${s.reason}`),
    )
  );
}

export function rcasTable(rcas: RcaSummary[]): string {
  if (rcas.length === 0) return 'no RCAs';
  return formatTable(
    ['ID', 'EVENT', 'ACCOUNT', 'STATUS', 'PHASE', 'ANALYST', 'CATEGORY', 'VERDICT', 'CREATED', 'ROOT CAUSE'],
    rcas.map((r) => [
      r.id,
      r.event_id,
      r.account,
      r.status,
      r.phase,
      r.analyst ?? '-',
      r.category ?? '-',
      r.verdict ?? '-',
      time(r.created_at),
      clip(r.root_cause, 60),
    ]),
  ).join('\n');
}

const evidenceLine = (e: EvidenceItem, indent = '    '): string => `[${e.source}] ${e.claim}${e.link ? `\n${indent}${e.link}` : ''}`;

/**
 * A ranked hypothesis: its rank, category and culprit, its statement, then the evidence for (+)
 * and against (-) it; lines after the first are indented as `section` indents the first. Its
 * ranking score is not shown: the report's confidence is the one figure to weigh.
 */
const hypothesisLines = (h: Hypothesis, i: number): string =>
  [
    `${i + 1}. ${h.category}  culprit ${h.culprit}`,
    `     ${h.statement}`,
    ...h.supporting.map((e) => `     + ${evidenceLine(e, '        ')}`),
    ...h.against.map((e) => `     - ${evidenceLine(e, '        ')}`),
  ].join('\n');

export function rcaView(r: RcaDetail): string {
  const report = r.report;
  const live = r.live;
  return (
    fields([
      ['rca', r.id],
      ['event', r.event_id],
      ['account', r.account],
      ['status', r.status],
      ['phase', r.phase],
      ['error', r.error],
      ['role', r.role && `${r.role}${r.role_reason ? `  (${r.role_reason})` : ''}`],
      ['analyst', r.analyst && `${r.analyst}${r.model ? ` (${r.model})` : ''}`],
      ['live', live && `${live.phase}, ${live.turns} turns, ${live.tokens.input + live.tokens.output} tokens so far`],
      ['created', time(r.created_at)],
      ['updated', time(r.updated_at)],
      ['resolved', r.resolved_at && time(r.resolved_at)],
      ['verdict', report?.verdict],
      ['category', report?.category],
      ['confidence', report && report.confidence.toFixed(2)],
      ['root cause', report?.root_cause],
      [
        'analysts',
        report?.analysts?.map((a) => `${a.analyst}: ${a.verdict}, ${a.category}, ${Math.round(a.confidence * 100)}%`).join('; '),
      ],
      [
        'usage',
        r.usage?.turns
          ? `${r.usage.turns} turns, ${r.usage.toolCalls} tool calls, ${r.usage.inputTokens + r.usage.outputTokens} tokens, ~$${r.usage.estimatedCostUsd.toFixed(4)}`
          : undefined,
      ],
      ['took', r.timings && duration(r.timings.ms)],
      ['notebook', r.links.notebook],
      ['temporal', r.links.temporal_run],
    ]) +
    (report
      ? section('summary', [report.summary]) +
        section('hypotheses', (report.hypotheses ?? []).map(hypothesisLines)) +
        section(
          'evidence',
          report.evidence.map((e) => evidenceLine(e)),
        ) +
        section(
          'remediation',
          report.remediation.map((step, i) => `${i + 1}. ${step}`),
        ) +
        section('missing data', report.missing_data)
      : '')
  );
}

export function rerunView(started: RerunStarted): string {
  return fields([
    ['rca', started.rca_id],
    ['workflow', started.workflow_id],
    ['run', started.run_id],
  ]);
}

/** An RCA's conclusion as a reader wants it first: verdict, root cause, the best hypotheses, what to do. */
export function describeConclusion(rca: Pick<RcaDetail, 'status' | 'error' | 'analyst' | 'report'>): string {
  const r = rca.report;
  if (!r) return `\n  Conclusion: none, the RCA ${rca.status}${rca.error ? `: ${rca.error}` : ''}\n`;
  const hypotheses = (r.hypotheses ?? []).slice(0, 3).map((h, i) => `      ${i + 1}. ${h.category} · ${h.culprit}`);
  const remediation = r.remediation.slice(0, 3).map((step) => `      - ${step}`);
  return (
    `\n  Conclusion (${rca.analyst ?? 'analyst'}): ${r.verdict ?? 'no verdict'}, ${r.category}, confidence ${Math.round(r.confidence * 100)}%\n` +
    `    root cause: ${r.root_cause}\n` +
    (hypotheses.length ? `    top hypotheses:\n${hypotheses.join('\n')}\n` : '') +
    `    remediation:\n${remediation.join('\n') || '      (none proposed)'}\n`
  );
}

/** A row of GET /v1/groups. */
export interface GroupSummary {
  id: string;
  account: string;
  workflow_id: string;
  /** The account rule's name and group_by values that formed it; null when grouped by topology. */
  group_key: string | null;
  status: 'open' | 'resolved';
  member_count: number;
  opened_at: string;
  resolved_at: string | null;
  services: string[];
  hosts: string[];
  rca_ids: string[];
}

/** GET /v1/groups/:id. */
export interface GroupDetail extends GroupSummary {
  members: Array<{
    event_id: string;
    monitor_id: string;
    monitor_name: string | null;
    service: string | null;
    hostname: string | null;
    status: string;
    alerted_at: string;
    recovered: boolean;
  }>;
  rcas: Array<{ rca_id: string; status: string | null; root_cause: string | null; notebook_url: string | null }>;
}

const joined = (names: string[]) => (names.length ? clip(names.join(', '), 40) : '-');

export function groupsTable(groups: GroupSummary[]): string {
  if (groups.length === 0) return 'no incident groups';
  return formatTable(
    ['ID', 'ACCOUNT', 'STATUS', 'ALERTS', 'RCAS', 'OPENED', 'SERVICES', 'HOSTS'],
    groups.map((g) => [
      g.id,
      g.account,
      g.status,
      String(g.member_count),
      String(g.rca_ids.length),
      time(g.opened_at),
      joined(g.services),
      joined(g.hosts),
    ]),
  ).join('\n');
}

export function groupView(g: GroupDetail): string {
  const members = formatTable(
    ['EVENT', 'MONITOR', 'SERVICE', 'HOST', 'STATUS', 'FIRED', 'RECOVERED'],
    g.members.map((m) => [
      m.event_id,
      clip(m.monitor_name ?? m.monitor_id, 40),
      m.service ?? '-',
      m.hostname ?? '-',
      m.status,
      time(m.alerted_at),
      m.recovered ? 'yes' : 'no',
    ]),
  ).join('\n');
  const rcas = g.rcas.map((r) => `  ${r.rca_id}  ${r.status ?? 'starting'}  ${clip(r.root_cause, 80)}`).join('\n') || '  none yet';
  return (
    fields([
      ['group', g.id],
      ['account', g.account],
      ['status', g.status],
      ['grouped by', g.group_key ? `rule ${g.group_key}` : 'a shared host or service'],
      ['alerts', g.member_count],
      ['opened', time(g.opened_at)],
      ['resolved', g.resolved_at ? time(g.resolved_at) : null],
      ['workflow', g.workflow_id],
    ]) + `\n\nRCAs:\n${rcas}\n\nMembers (in firing order):\n${members}`
  );
}
