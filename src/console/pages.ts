import type { AnalystRow, StoredReport, EvidenceItem } from '../analysis/report';
import type { EvidenceBundle } from '../evidence/bundle';
import { rcaPathId } from '../notebook/notebook';
import { ANALYSTS } from '../contracts/rca';
import { externalLink, type Html, html, when } from './html';
import { evidenceTimeline, memberTimeline } from './timeline';
import { type MemberRow, serviceMap } from './service-map';
import { ALERT_SOURCES, ALERT_STATUSES, EVENT_STATUSES, RETRYABLE_STATES } from '../contracts/alert';
import { duration } from '../text-format';
import { CONSOLE_SESSION_HOURS } from '../accounts/console-sessions';
import type { JsonRow } from '../db/rows';
import type { EventDetailRow, EventSummaryRow, ProcessorRunRow } from '../events/store';
import type { RunRow, RunSummaryRow } from '../rca/store';
import type { DeliveryRow } from '../github/delivery-store';
import type { TriageDetailRow, TriageSummaryRow } from '../github/triage-store';
import type { Triage } from '../github/triage';
import type { GroupRcaRow, GroupSummaryRow } from '../groups/store';

/** An event of GET /v1/webhooks/events, typed from its store's row. */
export type EventJson = JsonRow<EventSummaryRow>;
/** GET /v1/webhooks/events/{id}: the event with its tier-1 runs, its workflow's status and links. */
export type EventDetailJson = JsonRow<EventDetailRow> & {
  processor_runs: Array<JsonRow<ProcessorRunRow>>;
  workflow?: { status: string };
  links?: { temporal_run?: string | null };
};
/** An RCA of GET /v1/rca, typed from its store's row. */
export type RcaJson = JsonRow<RunSummaryRow>;
/** GET /v1/rca/{id}: the run with its report, and its links. */
export type RcaDetailJson = JsonRow<RunRow> & { links?: { temporal_run?: string | null } };
/** A delivery of GET /v1/webhooks/github/issues: its row with its triage's headline. */
export type DeliveryJson = JsonRow<DeliveryRow> & TriageSummaryRow;
/** GET /v1/webhooks/github/issues/{id}: the delivery with its triage and its workflow's status. */
export type DeliveryDetailJson = DeliveryJson & { triage: JsonRow<TriageDetailRow> | null; workflow?: { status: string } | null };
/** GET /v1/groups/{id}: the group with its members and its RCAs, typed from its store's rows. */
export type GroupJson = JsonRow<GroupSummaryRow> & {
  members: MemberRow[];
  rcas: Array<JsonRow<GroupRcaRow>>;
};

/**
 * Every page sets its base to the console's root, so links stay relative (`rca/123`, `v1/…`)
 * and the console also works under a path prefix. Pages one level down (rca/123) go up one.
 */
export function layout(title: string, depth: 0 | 1, body: Html, options: { signedIn?: boolean } = {}): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <base href="${depth ? '../' : './'}">
  <title>${title} · Rayne</title>
  <link rel="stylesheet" href="console/console.css">
  <script src="console/console.js" defer></script>
</head>
<body>
<header><strong>Rayne</strong><a href="./">Incidents</a><a href="github">GitHub triages</a><a href="docs">API docs</a>
${options.signedIn ? html`<form method="post" action="logout" class="signout"><button>Sign out</button></form>` : ''}</header>
<main>${body}</main>
</body>
</html>
`.text;
}

export const rcaHref = (rcaId: string) => `rca/${rcaPathId(rcaId)}`;

const verdictBadge = (verdict: string | null | undefined) =>
  verdict ? html`<span class="verdict ${verdict}" data-testid="verdict">${verdict}</span>` : html`<span class="muted">—</span>`;

const options = (values: readonly string[], selected: string | undefined) => [
  html`<option value="">any</option>`,
  ...values.map((v) => html`<option${v === selected ? html` selected` : ''}>${v}</option>`),
];

/** Asks for the API token; `next` is the page to return to, relative to the console's root. */
export function loginPage(error?: string, next = ''): Html {
  return html`<h1>Sign in</h1>
<p>The console uses the API's token (<code>RAYNE_API_TOKEN</code>). Signing in starts a session of ${CONSOLE_SESSION_HOURS} hours; this browser keeps only the session's id, and Sign out ends it.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="login"><input type="hidden" name="next" value="${next}"><label>API token <input type="password" name="token" autocomplete="current-password" required autofocus></label> <button>Sign in</button></form>`;
}

export function errorPage(status: number, message: string): Html {
  return html`<h1>${status === 404 ? 'Not found' : 'Cannot show this page'}</h1><p class="error" role="alert">${message}</p>`;
}

/** The incidents list: received alert transitions, newest first, each with its RCA's verdict. */
export function incidentsPage(
  events: EventJson[],
  rcaByEvent: Map<string, RcaJson>,
  filters: Record<string, string | undefined>,
  nextCursor: string | null,
): Html {
  const rows = events.map((e) => {
    const rca = rcaByEvent.get(e.id);
    return html`<tr data-testid="incident-row">
      <td><a href="incidents/${e.id}">#${e.id}</a></td><td>${when(e.received_at)}</td>
      <td>${e.monitor_name ?? `monitor ${e.monitor_id}`}</td><td data-testid="source">${e.source}</td><td>${e.alert_status}</td>
      <td>${[e.service, e.hostname].filter(Boolean).join(' · ') || e.scope}</td><td>${e.account}</td><td>${e.status}</td>
      <td>${e.group_id ? html`<a href="groups/${e.group_id}" data-testid="group-link">${e.group_id.slice(0, 8)}</a>` : html`<span class="muted">—</span>`}</td>
      <td>${rca ? html`<a href="${rcaHref(rca.id)}">${verdictBadge(rca.verdict)} ${rca.root_cause ?? rca.status}</a>` : html`<span class="muted">no RCA</span>`}</td>
    </tr>`;
  });
  const next = nextCursor ? new URLSearchParams({ ...definedOnly(filters), cursor: nextCursor }) : undefined;
  return html`<h1>Incidents</h1>
<form class="filters" method="get" action="./">
  <label>Alert status <select name="alert_status">${options(ALERT_STATUSES, filters.alert_status)}</select></label>
  <label>Processing <select name="status">${options(EVENT_STATUSES, filters.status)}</select></label>
  <label>Source <select name="source">${options(ALERT_SOURCES, filters.source)}</select></label>
  <label>Monitor id <input name="monitor_id" value="${filters.monitor_id ?? ''}" size="10"></label>
  <label>Account <input name="account" value="${filters.account ?? ''}" size="12"></label>
  <button>Filter</button> <a href="./">clear</a>
</form>
<table><thead><tr><th>Event</th><th>Received</th><th>Monitor</th><th>Source</th><th>Alert</th><th>Service · host</th><th>Account</th><th>Status</th><th>Group</th><th>RCA</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="10" class="muted">No incidents match.</td></tr>`}</tbody></table>
${next ? html`<p><a href="?${next.toString()}">Older →</a></p>` : ''}`;
}

const definedOnly = (record: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => !!e[1]));

/** One alert transition: its incident's other transitions, the processors that ran, its RCAs and its Temporal run. */
export function incidentPage(event: EventDetailJson, transitions: EventJson[], rcas: RcaJson[]): Html {
  const runs = event.processor_runs.map(
    (r) =>
      html`<tr data-testid="processor-run"><td>${r.processor}</td><td>${r.target}</td><td>${r.status}</td><td>${r.attempts}</td><td>${r.latency_ms ?? '—'}</td><td class="error">${r.error ?? ''}</td></tr>`,
  );
  return html`<h1>${event.monitor_name ?? `Monitor ${event.monitor_id}`} <span class="muted">#${event.id}</span></h1>
<section><dl class="facts">
  <dt>Alert</dt><dd>${event.alert_status} · received ${when(event.received_at)}</dd>
  <dt>Scope</dt><dd><code>${event.scope}</code>${event.service ? ` · service ${event.service}` : ''}${event.hostname ? ` · host ${event.hostname}` : ''}</dd>
  <dt>Account</dt><dd>${event.account}</dd>
  <dt>Workflow</dt><dd><code>${event.workflow_id}</code> · ${event.workflow?.status ?? 'unknown'} ${event.links?.temporal_run ? html` · ${externalLink('Open in Temporal', event.links.temporal_run)}` : ''}</dd>
  ${event.last_error ? html`<dt>Last error</dt><dd class="error">${event.last_error}</dd>` : ''}
</dl></section>
${(RETRYABLE_STATES as readonly string[]).includes(event.status) ? retrySection(event) : ''}
<section><h2>RCAs</h2>${rcas.length ? html`<ul>${rcas.map((r) => html`<li><a href="${rcaHref(r.id)}">${r.id}</a> ${verdictBadge(r.verdict)} ${r.root_cause ?? r.status} <span class="muted">${r.analyst ?? ''} · ${when(r.created_at)}</span></li>`)}</ul>` : html`<p class="muted">No RCA for this transition (only alerting transitions are investigated).</p>`}</section>
<section><h2>Transitions of this incident</h2><table><thead><tr><th>Event</th><th>Alert</th><th>Received</th><th>Status</th></tr></thead><tbody>
${transitions.map((t) => html`<tr data-testid="transition"><td><a href="incidents/${t.id}">#${t.id}</a>${t.id === event.id ? ' (this one)' : ''}</td><td>${t.alert_status}</td><td>${when(t.received_at)}</td><td>${t.status}</td></tr>`)}
</tbody></table></section>
<section><h2>Processor runs</h2>${runs.length ? html`<table><thead><tr><th>Processor</th><th>Target</th><th>Status</th><th>Attempts</th><th>ms</th><th>Error</th></tr></thead><tbody>${runs}</tbody></table>` : html`<p class="muted">No tier-1 processor ran for this transition.</p>`}</section>
<details><summary>Payload as received</summary><pre>${JSON.stringify(event.payload, null, 2)}</pre></details>`;
}

/** For an event that never started its workflow: a retry against Temporal as it is now (POST …/retry). */
const retrySection = (event: Pick<EventJson, 'id' | 'status'>) =>
  html`<section><h2>Never started</h2>
<form data-api="v1/webhooks/events/${event.id}/retry" data-testid="retry">
  <p class="notice">This event is <strong>${event.status}</strong>: ${event.status === 'rejected' ? 'Temporal refused its start' : 'its start kept failing'}. Once the cause is fixed, retry it; the outcome is stored on the event.</p>
  <button>Retry the start</button>
  <p role="status" data-testid="retry-status"></p>
</form></section>`;

const citation = (e: EvidenceItem) => html`<li>${externalLink(e.claim, e.link)} <span class="muted">(${e.source})</span></li>`;
const citations = (items: readonly EvidenceItem[]) =>
  items.length ? html`<ul>${items.map(citation)}</ul>` : html`<span class="muted">none</span>`;

/** Each analyst's conclusion of the run: a model's beside the investigation it started from. */
const analystsTable = (rows: readonly AnalystRow[]) =>
  html`<table data-testid="analysts"><thead><tr><th>Analyst</th><th>Verdict</th><th>Category</th><th>Confidence</th><th>Root cause</th></tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr><td>${r.analyst}</td><td>${r.verdict}</td><td><code>${r.category}</code></td><td>${Math.round(r.confidence * 100)}%</td><td>${r.root_cause}</td></tr>`,
  )}</tbody></table>`;

function reportSection(report: StoredReport): Html {
  const hypotheses = report.hypotheses ?? [];
  return html`<section data-testid="report">
  <h2>Conclusion ${verdictBadge(report.verdict)}</h2>
  <p data-testid="root-cause"><strong>Root cause:</strong> ${report.root_cause}</p>
  <p>${report.summary}</p>
  <p class="muted">Category <code>${report.category}</code> · confidence ${Math.round(report.confidence * 100)}%</p>
  ${report.analysts?.length ? analystsTable(report.analysts) : ''}
</section>
${
  hypotheses.length
    ? html`<section><h2>Hypotheses, best first</h2><ol>${hypotheses.map(
        (h) => html`<li data-testid="hypothesis">
  <code>${h.category}</code> · <strong>${h.culprit}</strong> — ${h.statement}
  <div>For: ${citations(h.supporting)}</div><div>Against: ${citations(h.against)}</div></li>`,
      )}</ol></section>`
    : ''
}
<section><h2>Evidence</h2>${citations(report.evidence)}</section>
<section><h2>Remediation</h2>${report.remediation.length ? html`<ol data-testid="remediation">${report.remediation.map((r) => html`<li>${r}</li>`)}</ol>` : html`<p class="muted">none proposed</p>`}
${report.missing_data.length ? html`<h2>Missing data</h2><ul>${report.missing_data.map((m) => html`<li>${m}</li>`)}</ul>` : ''}</section>`;
}

function actionsSection(rca: Pick<RcaDetailJson, 'id'>): Html {
  const id = rcaPathId(rca.id);
  return html`<section><h2>Feedback and re-run</h2>
<form data-api="v1/rca/${id}/feedback" data-testid="feedback">
  <label>Comment (optional) <input name="comment" size="50" maxlength="4000"></label>
  <button name="verdict" value="confirmed">Confirm root cause</button> <button name="verdict" value="rejected">Reject root cause</button>
  <p role="status" data-testid="feedback-status"></p>
</form>
<form data-api="v1/rca/${id}/rerun" data-testid="rerun">
  <label>Analyst <select name="analyst">${options(ANALYSTS, undefined)}</select></label> <button>Re-run the analysis</button>
  <p role="status" data-testid="rerun-status"></p>
</form></section>`;
}

function quickLinks(bundle: EvidenceBundle | null, rca: RcaDetailJson): Html {
  const items = [
    bundle ? externalLink('Monitor', bundle.links.monitor) : undefined,
    bundle?.links.logs ? externalLink('Logs', bundle.links.logs) : undefined,
    bundle ? externalLink('Events', bundle.links.events) : undefined,
    bundle?.links.host ? externalLink('Host', bundle.links.host) : undefined,
    rca.notebook_url ? externalLink('Datadog notebook', rca.notebook_url) : undefined,
    rca.links?.temporal_run ? externalLink('Temporal run', rca.links.temporal_run) : undefined,
  ].filter((i): i is Html => !!i);
  return html`<p data-testid="links">${items.map((item, i) => html`${i ? ' · ' : ''}${item}`)}</p>`;
}

/** An RCA: its conclusion, hypotheses and evidence, the evidence on a timeline, and what a reader can do next. */
export function rcaPage(rca: RcaDetailJson, evidence: { evidence?: EvidenceBundle | null }, siblings: RcaJson[]): Html {
  const bundle = evidence.evidence ?? null;
  const took = rca.timings?.ms !== undefined ? ` · took ${duration(rca.timings.ms)}` : '';
  return html`<h1>RCA <code>${rca.id}</code> <span class="muted">for <a href="incidents/${rca.event_id}">event #${rca.event_id}</a></span></h1>
<p class="muted">${rca.status} · phase ${rca.phase} · analyst ${rca.analyst ?? '—'}${rca.model ? ` (${rca.model})` : ''} · ${when(rca.created_at)}${took}</p>
${quickLinks(bundle, rca)}
${rca.error ? html`<p class="error" role="alert">${rca.error}</p>` : ''}
${rca.report ? reportSection(rca.report) : html`<p class="notice">No report yet (phase ${rca.phase}); reload to follow it.</p>`}
${
  bundle
    ? html`<section><h2>Timeline of the evidence</h2>${evidenceTimeline(bundle)}
<p class="muted">Dots: events (filled: a change). Bars: log templates from first to last seen. Lines: metrics. Red: the alert.</p>
${bundle.missing.length ? html`<p>Missing: ${bundle.missing.map((m) => `${m.source} (${m.reason})`).join(', ')}</p>` : ''}</section>`
    : ''
}
${rca.report ? actionsSection(rca) : ''}
${siblings.length > 1 ? html`<section><h2>Runs for this event</h2><ul>${siblings.map((s) => html`<li><a href="${rcaHref(s.id)}">${s.id}</a> ${verdictBadge(s.verdict)} ${s.status}</li>`)}</ul></section>` : ''}`;
}

/** The group's RCA (the first, for every member) and any re-analysis after a member brought a new service or host. */
function groupRcaSection(rcas: GroupJson['rcas']): Html {
  const [first, ...later] = rcas;
  const line = (r: GroupJson['rcas'][number]) =>
    html`<a href="${rcaHref(r.rca_id)}">${verdictBadge(r.verdict)} ${r.root_cause ?? `phase ${r.phase ?? r.status ?? 'starting'}`}</a>${r.notebook_url ? html` · ${externalLink('Datadog notebook', r.notebook_url)}` : ''} <span class="muted">${r.rca_id} · started ${when(r.created_at)}</span>`;
  return html`<section data-testid="group-rca"><h2>RCA</h2>
${first ? html`<p data-testid="group-root-cause">${line(first)}</p>` : html`<p class="muted">No RCA yet: it starts group_wait after the first alert, once the group has as many alerts as its rule's min_members.</p>`}
${later.length ? html`<h2>Re-analyses</h2><ul>${later.map((r) => html`<li>${line(r)}</li>`)}</ul>` : ''}</section>`;
}

/** An incident group: its one RCA, its members on a timeline and as a service map, and each member's incident. */
export function groupPage(group: GroupJson, temporalRun: string | null): Html {
  const { members } = group;
  return html`<h1>Incident group <code>${group.id}</code> <span class="muted">${group.status}</span></h1>
<section><dl class="facts">
  <dt>Alerts</dt><dd>${group.member_count} · first at ${when(group.opened_at)}${group.resolved_at ? ` · resolved ${when(group.resolved_at)}` : ''}</dd>
  <dt>Grouped by</dt><dd>${group.group_key ? html`the account's rule <code>${group.group_key}</code>` : 'a shared host or service, the service map, a change or a dependency the alerts name'}</dd>
${group.merged_into ? html`<dt>Merged into</dt><dd><a href="groups/${group.merged_into}" data-testid="merged-into">${group.merged_into}</a>: an alert linked it to that older group; its alerts and RCAs are there now</dd>` : ''}
  <dt>Account</dt><dd>${group.account}</dd>
  <dt>Workflow</dt><dd><code>${group.workflow_id}</code>${temporalRun ? html` · ${externalLink('Open in Temporal', temporalRun)}` : ''}</dd>
</dl></section>
${groupRcaSection(group.rcas)}
${
  members.length
    ? html`<section><h2>Members on a timeline</h2>${memberTimeline(members, group.rcas)}
<p class="muted">Dots: when each alert fired (hollow: recovered since). Red lines: the group's RCAs starting.</p></section>
<section><h2>Service map of the members</h2>${serviceMap(members)}
<p class="muted">Services and hosts the alerts name; a line where an alert is on that service and host. Red: still firing; green: recovered.</p></section>`
    : ''
}
<section><h2>Members</h2><table><thead><tr><th>Event</th><th>Fired</th><th>Monitor</th><th>Service · host</th><th>Alert</th><th>Recovered</th></tr></thead><tbody>
${members.map((m) => html`<tr data-testid="group-member"><td><a href="incidents/${m.event_id}">#${m.event_id}</a></td><td>${when(m.alerted_at)}</td><td>${m.monitor_name ?? `monitor ${m.monitor_id}`}</td><td>${[m.service, m.hostname].filter(Boolean).join(' · ') || '—'}</td><td>${m.status}</td><td>${m.recovered ? 'yes' : 'no'}</td></tr>`)}
</tbody></table></section>`;
}

/** GitHub deliveries and what the triage made of them. */
export function triagesPage(events: DeliveryJson[], filters: Record<string, string | undefined>): Html {
  return html`<h1>GitHub triages</h1>
<form class="filters" method="get" action="github">
  <label>Repository <input name="repository" value="${filters.repository ?? ''}" placeholder="owner/name"></label>
  <label>Status <select name="status">${options(['skipped', 'pending_start', 'started'], filters.status)}</select></label>
  <button>Filter</button> <a href="github">clear</a>
</form>
<table><thead><tr><th>Delivery</th><th>Issue</th><th>Action</th><th>Status</th><th>Triage</th><th>Kind</th><th>Comment</th></tr></thead><tbody>
${
  events.length
    ? events.map(
        (
          e,
        ) => html`<tr data-testid="triage-row"><td><a href="github/${e.id}">#${e.id}</a> <span class="muted">${when(e.received_at)}</span></td>
  <td>${e.repository ? html`${externalLink(`${e.repository}#${e.issue_number}`, e.issue_url)} ${e.issue_title}` : html`<span class="muted">${e.event}</span>`}</td>
  <td>${e.action ?? ''}</td><td>${e.status}${e.skip_reason ? html` <span class="muted">(${e.skip_reason})</span>` : ''}</td>
  <td>${e.triage_status ?? '—'}</td><td>${e.kind ?? ''}${e.confidence !== null ? ` ${Math.round(e.confidence * 100)}%` : ''}</td><td>${e.comment_url ? externalLink('comment', e.comment_url) : ''}</td></tr>`,
      )
    : html`<tr><td colspan="7" class="muted">No deliveries match.</td></tr>`
}
</tbody></table>`;
}

/** One delivery's triage: the result, the comment, and the Temporal run. */
export function triagePage(delivery: DeliveryDetailJson, temporalRun: string | null): Html {
  const { triage } = delivery;
  // The triage's result as its activity stored it, checked then by TriageSchema.
  const result = triage?.result as Triage | null | undefined;
  return html`<h1>${delivery.repository ? `${delivery.repository}#${delivery.issue_number}` : delivery.event} <span class="muted">delivery #${delivery.id}</span></h1>
<section><dl class="facts">
  <dt>Issue</dt><dd>${externalLink(delivery.issue_title ?? delivery.delivery_id, delivery.issue_url)}</dd>
  <dt>Delivery</dt><dd>${delivery.event}${delivery.action ? `.${delivery.action}` : ''} · ${delivery.status}${delivery.skip_reason ? ` (${delivery.skip_reason})` : ''} · ${when(delivery.received_at)}</dd>
  <dt>Workflow</dt><dd>${delivery.workflow_id ? html`<code>${delivery.workflow_id}</code> · ${delivery.workflow?.status ?? ''}` : '—'} ${temporalRun ? html` · ${externalLink('Open in Temporal', temporalRun)}` : ''}</dd>
  ${triage ? html`<dt>Triage</dt><dd>${triage.status} · phase ${triage.phase}${triage.comment_url ? html` · ${externalLink('comment posted', triage.comment_url)}` : triage.comment_note ? ` · ${triage.comment_note}` : ''}</dd>` : ''}
</dl></section>
${
  result
    ? html`<section data-testid="triage-result"><h2>${result.kind} <span class="muted">${Math.round((result.confidence ?? 0) * 100)}%</span></h2>
<p>${result.summary}</p><p><strong>Diagnosis:</strong> ${result.diagnosis}</p>
${result.next_steps?.length ? html`<ol>${result.next_steps.map((s) => html`<li>${s}</li>`)}</ol>` : ''}
${result.duplicates?.length ? html`<p>Duplicates: ${result.duplicates.map((d) => html`${externalLink(d.title ?? d.url, d.url)} `)}</p>` : ''}</section>`
    : ''
}`;
}
