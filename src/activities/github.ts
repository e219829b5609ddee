import type { Octokit } from '@octokit/rest';
import { estimateCostUsd } from '../analysis/claude';
import { ConversationStore } from '../analysis/conversation';
import { type AnalysisUsage, noUsage } from '../analysis/report';
import { RayneFailure } from '../errors';
import { createOctokit, type GithubSettings, toGithubFailure } from '../github/client';
import { commentMarker, renderComment } from '../github/comment';
import { findMentions, type KnownEntities } from '../github/mentions';
import { classifyIssue, DUPLICATE_MIN_SCORE, triageOffline } from '../github/offline-triage';
import { IssuesEventSchema } from '../github/payload';
import {
  groundTriage, type IssueContext, type IssueRef, type SimilarItem, type Triage, TRIAGE_SYSTEM_PROMPT, TRIAGE_TASK,
  TRIAGE_TASK_WITH_DATADOG, type TriageContext, triageMessage,
} from '../github/triage';
import type { ScoredPoint } from '../similarity/vector-store';
import { workflowUiUrl } from '../temporal/ui-links';
import type { AnalysisPlan, AnalystName } from '../workflows/rca-types';
import { type AnalysisDeps, chooseAnalyst } from './analysis';
import { reportingFailures } from './failures';
import { heartbeatWhile } from './heartbeat';
import { rankSimilar } from './prefetch';
import { createConversation, type LlmDeps, type ToolCall } from './llm';

export interface GithubDeps extends LlmDeps, Pick<AnalysisDeps, 'analysis' | 'links'> {
  github: GithubSettings & {
    triggerLabel: string;
    applyLabels: boolean;
    closeDuplicates: boolean;
    duplicateConfidence: number;
  };
}

export type TriagePhase = 'context' | 'analyse' | 'comment' | 'labels' | 'close' | 'index' | 'done';

/** What the workflow keeps of the context: enough to pick the tools and show progress. */
export interface ContextSummary {
  looksLikeIncident: boolean;
  datadog: boolean;
  mentions: number;
  recentAlerts: number;
  similarIncidents: number;
  similarIssues: number;
  missing: string[];
}

export interface TriageSummary {
  kind: Triage['kind'];
  confidence: number;
  duplicates: number;
}

/** A finished triage with who wrote it, what it cost and how long it took. */
export interface TriageResult {
  triage: Triage;
  analyst: AnalystName;
  model?: string;
  usage: AnalysisUsage;
  timings: { startedAt: string; finishedAt: string; ms: number };
  reasoning: string[];
}

/** What one write to GitHub did: done, or not and why (a setting is off, no token, nothing to do). */
export interface GithubWrite {
  done: boolean;
  url?: string;
  labels?: string[];
  note?: string;
}

const SIMILAR_ISSUE_TEXT_CHARS = 2000;
const BODY_CHARS = 8000;
const RECENT_ALERT_DAYS = 7;

/** The vector of an issue: one per issue, replaced when it is triaged again. */
/** planTriage's answer: `closingOff` says why nothing will be closed (absent when closing is on, and in plans recorded before it existed). */
export type TriagePlan = AnalysisPlan & { closingOff?: string };

const CLOSING_OFF = 'RAYNE_GITHUB_CLOSE_DUPLICATES is off';

const issueVectorId = (repository: string, number: number) => `github/${repository}#${number}`;
const issueAccount = (repository: string) => `github:${repository}`;

interface TriageRow {
  id: string;
  event_id: string;
  action: string | null;
  repository: string;
  issue_number: number;
  payload: Record<string, unknown>;
  context: TriageContext | null;
  result: Triage | null;
  analyst: string | null;
  model: string | null;
  comment_url: string | null;
  created_at: Date;
}

/** The triage steps of githubIssueWorkflow: context, analysis, the one comment, optional labels and closing, indexing. */
export const createGithubActivities = (deps: GithubDeps) => {
  const { db, accounts, similarity, similar, links, analysis, github } = deps;

  const load = async (triageId: string): Promise<TriageRow> => {
    const { rows } = await db.query(
      `SELECT t.id, t.event_id::text, e.action, e.repository, e.issue_number, e.payload, t.context, t.result, t.analyst, t.model, t.comment_url, t.created_at
         FROM github_triage t JOIN github_issue_events e ON e.id = t.event_id WHERE t.id = $1`,
      [triageId],
    );
    if (!rows[0]) throw new RayneFailure('NotFound', `triage ${triageId} does not exist`);
    return rows[0];
  };
  const contextOf = (row: TriageRow): TriageContext => {
    if (!row.context) throw new RayneFailure('NotFound', `triage ${row.id} has no context yet`);
    return row.context;
  };
  const update = (triageId: string, fields: Record<string, unknown>) => {
    const names = Object.keys(fields);
    return db.query(
      `UPDATE github_triage SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
      [triageId, ...names.map((n) => fields[n])],
    );
  };

  let octokit: Octokit | undefined;
  /** The client, or undefined without a token (nothing is written then). */
  const client = () => (github.token ? (octokit ??= createOctokit({ ...github, token: github.token })) : undefined);
  const repoOf = (row: TriageRow) => {
    const [owner, repo] = row.repository.split('/') as [string, string];
    return { owner, repo, issue_number: row.issue_number };
  };
  const callGithub = async <T>(call: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await heartbeatWhile(work(), 2000);
    } catch (err) {
      throw toGithubFailure(err, call);
    }
  };

  /** One embedding of the issue's text, searched under each filter (up to its limit); a search that fails is named in `missing` and finds nothing. */
  const searchSimilar = async (text: string, filters: Array<{ what: string; limit: number; account: string; excludeId?: string }>, missing: string[]): Promise<ScoredPoint[][]> => {
    const fail = (what: string) => (err: Error) => {
      missing.push(`${what}: ${err.message}`);
      return [];
    };
    const vector = await similarity.embedder.embed([text]).then(async ([v]) => {
      await similarity.store.ensureReady(v!.length);
      return v!;
    }).catch((err: Error) => err);
    return Promise.all(filters.map(({ what, limit, ...filter }) => (vector instanceof Error
      ? fail(what)(vector)
      : similarity.store.search(vector, { limit, minScore: similar.minScore, filter }).catch(fail(what)))));
  };

  const knownEntities = async (): Promise<KnownEntities> => {
    const { rows: [names] } = await db.query(
      `SELECT array(SELECT DISTINCT service FROM webhook_events WHERE service IS NOT NULL LIMIT 1000) AS services,
              array(SELECT DISTINCT hostname FROM webhook_events WHERE hostname IS NOT NULL LIMIT 1000) AS hosts`,
    );
    const { rows: monitors } = await db.query(
      'SELECT DISTINCT ON (monitor_id) monitor_id AS id, monitor_name AS name FROM webhook_events ORDER BY monitor_id, id DESC LIMIT 2000',
    );
    return { services: names.services, hosts: names.hosts, monitors: monitors.map((m) => ({ id: m.id, ...(m.name ? { name: m.name } : {}) })) };
  };

  const recentAlerts = async (mentions: TriageContext['mentions']): Promise<TriageContext['recentAlerts']> => {
    if (!mentions.services.length && !mentions.hosts.length && !mentions.monitors.length) return [];
    const { rows } = await db.query(
      `SELECT e.id::text AS event_id, e.monitor_id, e.monitor_name, e.alert_status, e.service, e.hostname, e.received_at, rep.report->>'root_cause' AS root_cause
         FROM webhook_events e
         LEFT JOIN LATERAL (SELECT report FROM rca_reports WHERE event_id = e.id ORDER BY created_at DESC LIMIT 1) rep ON true
        WHERE (e.service = ANY($1) OR e.hostname = ANY($2) OR e.monitor_id = ANY($3))
          AND e.received_at > now() - make_interval(days => $4)
        ORDER BY e.id DESC LIMIT 10`,
      [mentions.services, mentions.hosts, mentions.monitors.map((m) => m.id), RECENT_ALERT_DAYS],
    );
    return rows.map((r) => ({
      eventId: r.event_id, monitorId: r.monitor_id, status: r.alert_status, at: new Date(r.received_at).toISOString(),
      ...(r.monitor_name ? { monitorName: r.monitor_name } : {}), ...(r.service ? { service: r.service } : {}),
      ...(r.hostname ? { host: r.hostname } : {}), ...(r.root_cause ? { rootCause: r.root_cause } : {}),
    }));
  };

  const conversationFor = (task: typeof TRIAGE_TASK) => createConversation(deps, {
    store: new ConversationStore(db, 'github_triage_messages'),
    task,
    async opening(triageId) {
      return { system: TRIAGE_SYSTEM_PROMPT, first: triageMessage(contextOf(await load(triageId))) };
    },
    async plan(triageId) {
      const row = await load(triageId);
      return { analyst: row.analyst, model: row.model };
    },
    async toolContext(triageId) {
      const context = contextOf(await load(triageId));
      const account = context.datadogAccount ?? 'default';
      const opened = new Date(context.issue.createdAt);
      const to = new Date(Math.min(Date.now(), opened.getTime() + 3600_000));
      return { selfId: triageId, account, credentials: await accounts.credentials(account), similarity, similar, window: { from: new Date(opened.getTime() - 3600_000), to } };
    },
  });
  const withDatadog = conversationFor(TRIAGE_TASK_WITH_DATADOG);
  const withoutDatadog = conversationFor(TRIAGE_TASK);

  const saveTriage = async (triageId: string, result: TriageResult): Promise<TriageSummary> => {
    const row = await load(triageId);
    const { triage, dropped } = groundTriage(result.triage, contextOf(row), github.triggerLabel);
    // A local Ollama model costs nothing per token.
    const estimatedCostUsd = result.model && result.analyst !== 'ollama' ? estimateCostUsd(result.model, result.usage) : 0;
    await update(triageId, {
      result: JSON.stringify(triage), analyst: result.analyst, model: result.model ?? null,
      usage: JSON.stringify({ ...result.usage, estimatedCostUsd, timings: result.timings, reasoning: [...result.reasoning, ...dropped.map((d) => `dropped ${d}`)] }),
    });
    return { kind: triage.kind, confidence: triage.confidence, duplicates: triage.duplicates.length };
  };

  return reportingFailures({
    /** Creates the triage's row (once) and returns which issue it is about. */
    async startTriage(triageId: string, eventId: string): Promise<IssueRef> {
      const { rows: [event] } = await db.query('SELECT repository, issue_number, payload FROM github_issue_events WHERE id = $1', [eventId]);
      if (!event) throw new RayneFailure('NotFound', `GitHub event ${eventId} does not exist`, { eventId });
      await db.query(
        `INSERT INTO github_triage (id, event_id, phase, status) VALUES ($1, $2, 'context', 'running') ON CONFLICT (id) DO NOTHING`,
        [triageId, eventId],
      );
      const { issue } = IssuesEventSchema.parse(event.payload);
      return { repository: event.repository, number: event.issue_number, title: issue.title.slice(0, 300), url: issue.html_url };
    },

    async setTriagePhase(triageId: string, phase: TriagePhase): Promise<void> {
      await update(triageId, { phase, ...(phase === 'done' ? { status: 'completed' } : {}) });
    },

    async failTriage(triageId: string, error: string): Promise<void> {
      await update(triageId, { status: 'failed', error: error.slice(0, 2000) });
    },

    /**
     * Gathers what the triage reads besides the issue: the services, hosts and monitors it names
     * (against what Rayne's alerts have seen), their recent alerts and root causes, similar past
     * incidents and similar earlier issues of the repository. Stores it; a source that fails is
     * named in `missing`.
     */
    async gatherTriageContext(triageId: string): Promise<ContextSummary> {
      const row = await load(triageId);
      const event = IssuesEventSchema.parse(row.payload);
      const issue: IssueContext = {
        repository: row.repository, number: row.issue_number, title: event.issue.title, url: event.issue.html_url,
        body: (event.issue.body ?? '').slice(0, BODY_CHARS), labels: (event.issue.labels ?? []).map((l) => l.name),
        author: event.issue.user?.login, createdAt: event.issue.created_at ?? new Date(row.created_at).toISOString(),
      };
      const text = `${issue.title}\n${issue.body}`;
      const missing: string[] = [];
      const mentions = findMentions(text, await knownEntities());
      const alerts = await recentAlerts(mentions);
      const datadogAccount = (await accounts.routeByOrg(undefined)) ?? ((await accounts.get('default')) ? 'default' : undefined);
      const [issues = [], found = []] = await searchSimilar(text.slice(0, SIMILAR_ISSUE_TEXT_CHARS), [
        { what: 'similar issues', limit: similar.limit, account: issueAccount(row.repository), excludeId: issueVectorId(row.repository, row.issue_number) },
        // Twice the limit: re-runs and copies of one past incident collapse into one.
        ...(datadogAccount ? [{ what: 'similar incidents', limit: similar.limit * 2, account: datadogAccount }] : []),
      ], missing);
      const incidents = rankSimilar(found, similar.limit);
      if (!datadogAccount) missing.push('Datadog: no account is configured, so no similar incidents or Datadog tools');
      const item = (h: ScoredPoint, url?: string): SimilarItem => ({
        id: h.id, title: h.payload.title, score: Math.round(h.score * 1000) / 1000, ...(url ? { url } : {}),
        rootCause: h.payload.rootCause, category: h.payload.category, confirmed: h.payload.confirmed,
      });
      const context: TriageContext = {
        issue, mentions, recentAlerts: alerts,
        similarIncidents: incidents.map((h) => item(h, h.payload.links.notebook ?? h.payload.links.rca)),
        similarIssues: issues.map((h) => item(h, h.payload.links.issue)),
        looksLikeIncident: classifyIssue({ issue, mentions, recentAlerts: alerts }).kind === 'incident',
        ...(datadogAccount ? { datadogAccount } : {}),
        missing,
      };
      await update(triageId, { context: JSON.stringify(context) });
      return {
        looksLikeIncident: context.looksLikeIncident, datadog: !!datadogAccount && !!(await accounts.credentials(datadogAccount)),
        mentions: mentions.services.length + mentions.hosts.length + mentions.monitors.length,
        recentAlerts: alerts.length, similarIncidents: incidents.length, similarIssues: issues.length, missing,
      };
    },

    /** The analyst, and why no duplicate will be closed when closing is off: the workflow then schedules no close at all. */
    async planTriage(triageId: string): Promise<TriagePlan> {
      const plan = chooseAnalyst(analysis);
      await update(triageId, { analyst: plan.analyst, model: plan.model ?? null });
      return github.closeDuplicates ? plan : { ...plan, closingOff: CLOSING_OFF };
    },

    /** The offline triage; `note` (why the configured analyst gave none) is kept in its reasoning. */
    async runOfflineTriage(triageId: string, note?: string): Promise<TriageSummary> {
      const startedAt = new Date();
      const { triage, reasoning } = triageOffline(contextOf(await load(triageId)));
      const finishedAt = new Date();
      return saveTriage(triageId, {
        triage, analyst: 'offline', usage: noUsage(), reasoning: note ? [note, ...reasoning] : reasoning,
        timings: { startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), ms: finishedAt.getTime() - startedAt.getTime() },
      });
    },

    saveTriage,

    /** One triage model turn; issues that read like incidents are offered the Datadog tools too. */
    triageTurn: (triageId: string, turn: number, datadogTools: boolean) => (datadogTools ? withDatadog : withoutDatadog).turn(triageId, turn),
    triageTool: (triageId: string, call: ToolCall, datadogTools: boolean) => (datadogTools ? withDatadog : withoutDatadog).tool(triageId, call),

    /**
     * Posts the triage as one comment on the issue. Idempotent: the comment carries the hidden
     * marker of this triage, and a retry looks for it before posting again. Without GH_TOKEN it
     * posts nothing and says so.
     */
    async postTriageComment(triageId: string): Promise<GithubWrite> {
      const row = await load(triageId);
      if (!row.result) throw new RayneFailure('NotFound', `triage ${triageId} has no result to post`);
      if (row.comment_url) return { done: true, url: row.comment_url };
      const octo = client();
      if (!octo) {
        const note = 'not posted: GH_TOKEN is not set';
        await update(triageId, { comment_note: note });
        return { done: false, note };
      }
      const marker = commentMarker(triageId);
      const target = repoOf(row);
      // Only comments written since this triage began can be its own (a minute's slack for clock skew).
      const since = new Date(new Date(row.created_at).getTime() - 60_000).toISOString();
      const existing = (await callGithub('list comments', () => octo.paginate(octo.issues.listComments, { ...target, since, per_page: 100 })))
        .find((c) => c.body?.includes(marker));
      const comment = existing ?? (await callGithub('create comment', () => octo.issues.createComment({
        ...target,
        body: renderComment(row.result!, contextOf(row), { workflowId: triageId, analyst: row.analyst ?? 'offline', model: row.model ?? undefined, runUrl: workflowUiUrl(links, triageId) }),
      }))).data;
      await update(triageId, { comment_id: comment.id, comment_url: comment.html_url, comment_note: existing ? 'found by its marker' : null });
      return { done: true, url: comment.html_url };
    },

    /** Adds the suggested labels that exist in the repository (never creates one), when RAYNE_GITHUB_APPLY_LABELS is on. */
    async labelTriagedIssue(triageId: string): Promise<GithubWrite> {
      const row = await load(triageId);
      const octo = client();
      if (!github.applyLabels || !octo || !row.result) return { done: false, note: !github.applyLabels ? 'RAYNE_GITHUB_APPLY_LABELS is off' : 'no GH_TOKEN' };
      const target = repoOf(row);
      const existing = await callGithub('list labels', () => octo.paginate(octo.issues.listLabelsForRepo, { owner: target.owner, repo: target.repo, per_page: 100 }));
      const byName = new Map(existing.map((l) => [l.name.toLowerCase(), l.name]));
      const labels = row.result.suggested_labels.flatMap((l) => byName.get(l.toLowerCase()) ?? []);
      if (labels.length) await callGithub('add labels', () => octo.issues.addLabels({ ...target, labels }));
      await update(triageId, { labels_added: labels });
      return { done: labels.length > 0, labels };
    },

    /**
     * Closes the issue as a duplicate when RAYNE_GITHUB_CLOSE_DUPLICATES is on, the triage is
     * confident enough, and its duplicate is an earlier issue the search itself found close
     * enough. A reopened issue is never closed again: a person reopened it.
     */
    async closeDuplicateIssue(triageId: string): Promise<GithubWrite> {
      const row = await load(triageId);
      const octo = client();
      const triage = row.result;
      const best = triage?.duplicates[0] && contextOf(row).similarIssues.find((s) => s.url === triage.duplicates[0]!.url);
      const reason = !github.closeDuplicates ? CLOSING_OFF
        : !octo ? 'no GH_TOKEN'
        : row.action === 'reopened' ? 'the issue was reopened by a person'
        : !triage || !best ? 'no duplicate found'
        : triage.confidence < github.duplicateConfidence ? `confidence ${triage.confidence} is below ${github.duplicateConfidence}`
        : best.score < DUPLICATE_MIN_SCORE ? `the duplicate scores ${best.score}, below ${DUPLICATE_MIN_SCORE}`
        : undefined;
      if (reason) return { done: false, note: reason };
      await callGithub('close issue', () => octo!.issues.update({ ...repoOf(row), state: 'closed', state_reason: 'not_planned' }));
      await update(triageId, { closed: true });
      return { done: true, url: best!.url };
    },

    /** Embeds the issue with its triage, so later issues find it as a possible duplicate. */
    async indexIssue(triageId: string): Promise<void> {
      const row = await load(triageId);
      const context = contextOf(row);
      const triage = row.result;
      const { issue } = context;
      const [vector] = await similarity.embedder.embed([`${issue.title}\n${issue.body}`.slice(0, SIMILAR_ISSUE_TEXT_CHARS)]);
      await similarity.store.ensureReady(vector!.length);
      await similarity.store.upsert([{
        id: issueVectorId(issue.repository, issue.number),
        vector: vector!,
        payload: {
          account: issueAccount(issue.repository), title: `#${issue.number} ${issue.title}`.slice(0, 300),
          service: triage?.affected_service ?? undefined, rootCause: triage?.diagnosis ?? '', category: triage?.kind ?? 'unknown',
          summary: triage?.summary, confirmed: false, links: { issue: issue.url }, createdAt: issue.createdAt,
        },
      }]);
    },
  });
};
