import type { Octokit } from '@octokit/rest';
import { estimateCostUsd } from '../analysis/claude';
import { ConversationStore } from '../analysis/conversation';
import { noUsage } from '../analysis/report';
import { RayneFailure } from '../errors';
import { createOctokit, type GithubSettings, toGithubFailure } from '../github/client';
import { commentMarker, renderComment } from '../github/comment';
import { findMentions } from '../github/mentions';
import { classifyIssue, DUPLICATE_MIN_SCORE, triageOffline } from '../github/offline-triage';
import { IssuesEventSchema } from '../github/payload';
import { type TriageRow, TriageStore } from '../github/triage-store';
import { DeliveryStore } from '../github/delivery-store';
import { EventStore } from '../events/store';
import {
  groundTriage,
  type IssueContext,
  type SimilarItem,
  type Triage,
  TRIAGE_SYSTEM_PROMPT,
  TRIAGE_TASK,
  TRIAGE_TASK_WITH_DATADOG,
  type TriageContext,
  triageMessage,
} from '../github/triage';
import type { ScoredPoint } from '../similarity/vector-store';
import { workflowUiUrl } from '../temporal/ui-links';
import type { AnalysisUsage, AnalystName, ToolCall } from '../contracts/rca';
import { type AnalysisDeps, chooseAnalyst } from './analysis';
import { reportingFailures } from './failures';
import { heartbeatWhile } from './heartbeat';
import { createConversation, type LlmDeps } from './llm';
import type { ContextSummary, GithubWrite, IssueRef, TriagePhase, TriagePlan, TriageSummary } from '../contracts/triage';
import { embedQuery, searchSimilar } from '../similarity/rank';

export interface GithubDeps extends LlmDeps, Pick<AnalysisDeps, 'analysis' | 'links'> {
  github: GithubSettings & {
    triggerLabel: string;
    applyLabels: boolean;
    closeDuplicates: boolean;
    duplicateConfidence: number;
  };
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

const SIMILAR_ISSUE_TEXT_CHARS = 2000;
const BODY_CHARS = 8000;

const CLOSING_OFF = 'RAYNE_GITHUB_CLOSE_DUPLICATES is off';

/** The vector of an issue: one per issue, replaced when it is triaged again. */
const issueVectorId = (repository: string, number: number) => `github/${repository}#${number}`;
const issueAccount = (repository: string) => `github:${repository}`;

const contextOf = (row: TriageRow): TriageContext => {
  if (!row.context) throw new RayneFailure('NotFound', `triage ${row.id} has no context yet`);
  return row.context;
};

/** The issue as its stored event describes it, its body bounded. */
function issueOf(row: TriageRow): IssueContext {
  const { issue } = IssuesEventSchema.parse(row.payload);
  return {
    repository: row.repository,
    number: row.issue_number,
    title: issue.title,
    url: issue.html_url,
    body: (issue.body ?? '').slice(0, BODY_CHARS),
    labels: (issue.labels ?? []).map((l) => l.name),
    author: issue.user?.login,
    createdAt: issue.created_at ?? new Date(row.created_at).toISOString(),
  };
}

const similarItem = (h: ScoredPoint, url?: string): SimilarItem => ({
  id: h.id,
  title: h.payload.title,
  score: Math.round(h.score * 1000) / 1000,
  ...(url ? { url } : {}),
  rootCause: h.payload.rootCause,
  category: h.payload.category,
  confirmed: h.payload.confirmed,
});

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
async function searchEach(
  { similarity, similar }: Pick<GithubDeps, 'similarity' | 'similar'>,
  text: string,
  filters: Array<{ what: string; limit: number; account: string; excludeId?: string }>,
  missing: string[],
): Promise<ScoredPoint[][]> {
  const fail = (what: string) => (err: Error) => {
    missing.push(`${what}: ${err.message}`);
    return [];
  };
  const vector = await embedQuery(similarity, text).catch((err: Error) => err);
  return Promise.all(
    filters.map(async ({ what, limit, ...filter }) =>
      vector instanceof Error
        ? fail(what)(vector)
        : searchSimilar(similarity, vector, { limit, minScore: similar.minScore, filter }).catch(fail(what)),
    ),
  );
}

/** The triage steps of githubIssueWorkflow: context, analysis, the one comment, optional labels and closing, indexing. */
export const createGithubActivities = (deps: GithubDeps) => {
  const { db, accounts, similarity, similar, links, analysis, github } = deps;
  const triages = new TriageStore(db);
  const deliveries = new DeliveryStore(db);
  const events = new EventStore(db);

  const load = async (triageId: string): Promise<TriageRow> => {
    const row = await triages.find(triageId);
    if (!row) throw new RayneFailure('NotFound', `triage ${triageId} does not exist`);
    return row;
  };

  let octokit: Octokit | undefined;
  /** The client, or undefined without a token (nothing is written then). */
  const client = () => (github.token ? (octokit ??= createOctokit({ ...github, token: github.token })) : undefined);

  const conversationFor = (task: typeof TRIAGE_TASK) =>
    createConversation(deps, {
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
        return {
          selfId: triageId,
          account,
          credentials: await accounts.credentials(account),
          similarity,
          similar,
          window: { from: new Date(opened.getTime() - 3600_000), to },
        };
      },
    });
  const withDatadog = conversationFor(TRIAGE_TASK_WITH_DATADOG);
  const withoutDatadog = conversationFor(TRIAGE_TASK);

  const saveTriage = async (triageId: string, result: TriageResult): Promise<TriageSummary> => {
    const row = await load(triageId);
    const { triage, dropped } = groundTriage(result.triage, contextOf(row), github.triggerLabel);
    // A local Ollama model costs nothing per token.
    const estimatedCostUsd = result.model && result.analyst !== 'ollama' ? estimateCostUsd(result.model, result.usage) : 0;
    await triages.saveResult(triageId, {
      triage,
      analyst: result.analyst,
      model: result.model,
      usage: {
        ...result.usage,
        estimatedCostUsd,
        timings: result.timings,
        reasoning: [...result.reasoning, ...dropped.map((d) => `dropped ${d}`)],
      },
    });
    return { kind: triage.kind, confidence: triage.confidence, duplicates: triage.duplicates.length };
  };

  return reportingFailures({
    /** Creates the triage's row (once) and returns which issue it is about. */
    async startTriage(triageId: string, eventId: string): Promise<IssueRef> {
      const event = await deliveries.issue(eventId);
      if (!event) throw new RayneFailure('NotFound', `GitHub event ${eventId} does not exist`, { eventId });
      await triages.start(triageId, eventId);
      const { issue } = IssuesEventSchema.parse(event.payload);
      return { repository: event.repository, number: event.issue_number, title: issue.title.slice(0, 300), url: issue.html_url };
    },

    setTriagePhase: (triageId: string, phase: TriagePhase): Promise<void> => triages.setPhase(triageId, phase),

    failTriage: (triageId: string, error: string): Promise<void> => triages.fail(triageId, error),

    /**
     * Gathers what the triage reads besides the issue: the services, hosts and monitors it names
     * (against what Rayne's alerts have seen), their recent alerts and root causes, similar past
     * incidents and similar earlier issues of the repository. Stores it; a source that fails is
     * named in `missing`.
     */
    async gatherTriageContext(triageId: string): Promise<ContextSummary> {
      const row = await load(triageId);
      const issue = issueOf(row);
      const text = `${issue.title}\n${issue.body}`;
      const missing: string[] = [];
      const mentions = findMentions(text, await events.knownEntities());
      const alerts = await events.recentAlerts(mentions);
      const datadogAccount = (await accounts.routeByOrg(undefined)) ?? ((await accounts.get('default')) ? 'default' : undefined);
      const [issues = [], incidents = []] = await searchEach(
        deps,
        text.slice(0, SIMILAR_ISSUE_TEXT_CHARS),
        [
          {
            what: 'similar issues',
            limit: similar.limit,
            account: issueAccount(row.repository),
            excludeId: issueVectorId(row.repository, row.issue_number),
          },
          ...(datadogAccount ? [{ what: 'similar incidents', limit: similar.limit, account: datadogAccount }] : []),
        ],
        missing,
      );
      if (!datadogAccount) missing.push('Datadog: no account is configured, so no similar incidents or Datadog tools');
      const context: TriageContext = {
        issue,
        mentions,
        recentAlerts: alerts,
        similarIncidents: incidents.map((h) => similarItem(h, h.payload.links.notebook ?? h.payload.links.rca)),
        similarIssues: issues.map((h) => similarItem(h, h.payload.links.issue)),
        looksLikeIncident: classifyIssue({ issue, mentions, recentAlerts: alerts }).kind === 'incident',
        ...(datadogAccount ? { datadogAccount } : {}),
        missing,
      };
      await triages.saveContext(triageId, context);
      return {
        looksLikeIncident: context.looksLikeIncident,
        datadog: !!datadogAccount && !!(await accounts.credentials(datadogAccount)),
        mentions: mentions.services.length + mentions.hosts.length + mentions.monitors.length,
        recentAlerts: alerts.length,
        similarIncidents: incidents.length,
        similarIssues: issues.length,
        missing,
      };
    },

    /** The analyst, and why no duplicate will be closed when closing is off: the workflow then schedules no close at all. */
    async planTriage(triageId: string): Promise<TriagePlan> {
      const plan = chooseAnalyst(analysis);
      await triages.setAnalyst(triageId, plan.analyst, plan.model);
      return github.closeDuplicates ? plan : { ...plan, closingOff: CLOSING_OFF };
    },

    /** The offline triage; `note` (why the configured analyst gave none) is kept in its reasoning. */
    async runOfflineTriage(triageId: string, note?: string): Promise<TriageSummary> {
      const startedAt = new Date();
      const { triage, reasoning } = triageOffline(contextOf(await load(triageId)));
      const finishedAt = new Date();
      return saveTriage(triageId, {
        triage,
        analyst: 'offline',
        usage: noUsage(),
        reasoning: note ? [note, ...reasoning] : reasoning,
        timings: {
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          ms: finishedAt.getTime() - startedAt.getTime(),
        },
      });
    },

    saveTriage,

    /** One triage model turn; issues that read like incidents are offered the Datadog tools too. */
    triageTurn: (triageId: string, turn: number, datadogTools: boolean) =>
      (datadogTools ? withDatadog : withoutDatadog).turn(triageId, turn),
    triageTool: (triageId: string, call: ToolCall, datadogTools: boolean) =>
      (datadogTools ? withDatadog : withoutDatadog).tool(triageId, call),

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
        await triages.noteComment(triageId, note);
        return { done: false, note };
      }
      const marker = commentMarker(triageId);
      const target = repoOf(row);
      // Only comments written since this triage began can be its own (a minute's slack for clock skew).
      const since = new Date(new Date(row.created_at).getTime() - 60_000).toISOString();
      const existing = (
        await callGithub('list comments', () => octo.paginate(octo.issues.listComments, { ...target, since, per_page: 100 }))
      ).find((c) => c.body?.includes(marker));
      const comment =
        existing ??
        (
          await callGithub('create comment', () =>
            octo.issues.createComment({
              ...target,
              body: renderComment(row.result!, contextOf(row), {
                workflowId: triageId,
                analyst: row.analyst ?? 'offline',
                model: row.model ?? undefined,
                runUrl: workflowUiUrl(links, triageId),
              }),
            }),
          )
        ).data;
      await triages.recordComment(triageId, { id: comment.id, url: comment.html_url, note: existing ? 'found by its marker' : null });
      return { done: true, url: comment.html_url };
    },

    /** Adds the suggested labels that exist in the repository (never creates one), when RAYNE_GITHUB_APPLY_LABELS is on. */
    async labelTriagedIssue(triageId: string): Promise<GithubWrite> {
      const row = await load(triageId);
      const octo = client();
      if (!github.applyLabels || !octo || !row.result)
        return { done: false, note: !github.applyLabels ? 'RAYNE_GITHUB_APPLY_LABELS is off' : 'no GH_TOKEN' };
      const target = repoOf(row);
      const existing = await callGithub('list labels', () =>
        octo.paginate(octo.issues.listLabelsForRepo, { owner: target.owner, repo: target.repo, per_page: 100 }),
      );
      const byName = new Map(existing.map((l) => [l.name.toLowerCase(), l.name]));
      const labels = row.result.suggested_labels.flatMap((l) => byName.get(l.toLowerCase()) ?? []);
      if (labels.length) await callGithub('add labels', () => octo.issues.addLabels({ ...target, labels }));
      await triages.recordLabels(triageId, labels);
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
      const reason = !github.closeDuplicates
        ? CLOSING_OFF
        : !octo
          ? 'no GH_TOKEN'
          : row.action === 'reopened'
            ? 'the issue was reopened by a person'
            : !triage || !best
              ? 'no duplicate found'
              : triage.confidence < github.duplicateConfidence
                ? `confidence ${triage.confidence} is below ${github.duplicateConfidence}`
                : best.score < DUPLICATE_MIN_SCORE
                  ? `the duplicate scores ${best.score}, below ${DUPLICATE_MIN_SCORE}`
                  : undefined;
      if (reason) return { done: false, note: reason };
      await callGithub('close issue', () => octo!.issues.update({ ...repoOf(row), state: 'closed', state_reason: 'not_planned' }));
      await triages.markClosed(triageId);
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
      await similarity.store.upsert([
        {
          id: issueVectorId(issue.repository, issue.number),
          vector: vector!,
          payload: {
            account: issueAccount(issue.repository),
            title: `#${issue.number} ${issue.title}`.slice(0, 300),
            service: triage?.affected_service ?? undefined,
            rootCause: triage?.diagnosis ?? '',
            category: triage?.kind ?? 'unknown',
            summary: triage?.summary,
            confirmed: false,
            links: { issue: issue.url },
            createdAt: issue.createdAt,
          },
        },
      ]);
    },
  });
};
