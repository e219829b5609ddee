import { v1 } from '@datadog/datadog-api-client';
import type { AccountCredentials, AccountStore } from '../accounts/store';
import type { StoredAnalysis } from '../analysis/report';
import { callDatadog, DatadogError } from '../datadog/client';
import { datadogAppUrl } from '../datadog/links';
import type { Db } from '../db/pool';
import {
  buildNotebook,
  isResolved,
  markResolved,
  type NotebookDocument,
  notebookFingerprint,
  type NotebookLinks,
  RESOLVED_PREFIX,
} from '../notebook/notebook';
import { type PublishableReport, RcaStore } from '../rca/store';
import { reportingFailures } from './failures';
import { RayneFailure } from '../errors';
import type { LinkSettings } from './processors';
import { workflowUiUrl } from '../temporal/ui-links';

export interface NotebookDeps {
  db: Db;
  accounts: AccountStore;
  /** Where the footer's links point when the caller gives none. */
  links?: LinkSettings;
}

/** A published notebook, or why none was (no Datadog account: the Markdown endpoint serves the report). */
export type PublishNotebookResult = { notebookId: number; url: string; created: boolean } | { skipped: string };

export type ResolveNotebookResult =
  { resolvedAt: string; resolved: number[]; alreadyResolved: number[]; skipped?: string } | { skipped: string };

const LIST_PAGE = 100;
const MAX_LIST_PAGES = 10;

/** The stored report as the notebook builder takes it; reasoning is not stored, so it is empty. */
function analysisOf(row: PublishableReport): StoredAnalysis {
  return {
    report: row.report,
    analyst: row.analyst ?? 'offline',
    model: row.model ?? undefined,
    usage: row.usage ?? { turns: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimatedCostUsd: 0 },
    timings: row.timings ?? { startedAt: '', finishedAt: '', ms: 0 },
    reasoning: [],
  };
}

const isNotFound = (err: unknown) => err instanceof DatadogError && err.code === 'NotFound';

/** Datadog's client for one account: notebooks get, list by name, create, update. */
function notebooksOf(credentials: AccountCredentials) {
  const api = <T>(operation: string, fn: (api: v1.NotebooksApi) => Promise<T>) =>
    callDatadog(credentials, operation, (c) => fn(new v1.NotebooksApi(c)));
  return {
    url: (id: number) => `${datadogAppUrl(credentials.baseUrl)}/notebook/${id}`,
    /** The notebook, or undefined when it was deleted. */
    async get(id: number): Promise<v1.NotebookResponse | undefined> {
      try {
        return await api(`get notebook ${id}`, (n) => n.getNotebook({ notebookId: id }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    /** The oldest notebook named exactly `name` (or its resolved form). */
    async findByName(name: string): Promise<number | undefined> {
      const ids: number[] = [];
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const res = await api(`list notebooks named "${name}"`, (n) =>
          n.listNotebooks({ query: name, includeCells: false, start: page * LIST_PAGE, count: LIST_PAGE }),
        );
        const data = res.data ?? [];
        for (const nb of data) if (nb.attributes.name === name || nb.attributes.name === `${RESOLVED_PREFIX}${name}`) ids.push(nb.id);
        if (data.length < LIST_PAGE) break;
      }
      return ids.length ? Math.min(...ids) : undefined;
    },
    async create(body: v1.NotebookCreateRequest): Promise<number> {
      const res = await api('create notebook', (n) => n.createNotebook({ body }));
      if (res.data?.id === undefined) throw new Error('Datadog created a notebook but answered without its id');
      return res.data.id;
    },
    async update(id: number, body: v1.NotebookUpdateRequest): Promise<void> {
      await api(`update notebook ${id}`, (n) => n.updateNotebook({ notebookId: id, body }));
    },
  };
}

/** What the notebook should say now: resolved stays resolved, whether Postgres or Datadog knew it first. */
function desiredBody(built: v1.NotebookCreateRequest, resolvedAt: Date | null, existing?: NotebookDocument): NotebookDocument {
  if (resolvedAt || (existing && isResolved(existing))) return markResolved(built, resolvedAt ?? undefined);
  return built;
}

/** The RCA's API page and its Temporal run, from the worker's link settings. */
function defaultLinks(rcaId: string, eventId: string, settings?: LinkSettings): NotebookLinks {
  if (!settings) return {};
  const api = settings.publicUrl?.replace(/\/+$/, '');
  return {
    rca: api ? `${api}/v1/rca/${rcaId === `rca/${eventId}` ? eventId : encodeURIComponent(rcaId)}` : undefined,
    temporalRun: workflowUiUrl(settings, rcaId),
  };
}

export const createNotebookActivities = ({ db, accounts, links: linkSettings }: NotebookDeps) => {
  const rcas = new RcaStore(db);
  return reportingFailures({
    /**
     * Publishes an RCA's report as a Datadog notebook, once: the stored notebook id first (updated
     * when its content differs), else a notebook found by its deterministic name (a create whose id
     * was lost to a crash), else a new one; the id and URL are then stored. Concurrent publishes of
     * one name are serialised by an advisory lock. Re-runs of an event share its notebook (same
     * name). No Datadog account → `{ skipped }`. Throws NotFound when the report or evidence is missing.
     */
    async publishNotebook(rcaId: string, givenLinks?: NotebookLinks): Promise<PublishNotebookResult> {
      const row = await rcas.publishable(rcaId);
      if (!row) throw new RayneFailure('NotFound', `no report is stored for ${rcaId}`);
      if (!row.bundle) throw new RayneFailure('NotFound', `no evidence bundle is stored for ${rcaId}`);
      const bundle = row.bundle;
      const credentials = await accounts.credentials(row.account);
      if (!credentials) return { skipped: `no Datadog account "${row.account}" is configured; the report is served as Markdown` };
      const notebooks = notebooksOf(credentials);
      const built = buildNotebook(bundle, analysisOf(row), givenLinks ?? defaultLinks(rcaId, row.event_id, linkSettings));
      const name = built.data.attributes.name;

      // A retry that overlaps a slow first attempt, or a re-run publishing at once, waits here.
      return await rcas.underNotebookLock(`rayne:notebook:${credentials.name}:${name}`, async (locked) => {
        const fresh = await locked.state(rcaId);
        const resolvedAt = fresh?.resolved_at ?? row.resolved_at;
        const store = async (notebookId: number, created: boolean) => {
          const url = notebooks.url(notebookId);
          await locked.record(rcaId, notebookId, url);
          return { notebookId, url, created };
        };

        const storedId = fresh?.notebook_id ? Number(fresh.notebook_id) : undefined;
        let existingId = storedId;
        let existing = existingId !== undefined ? await notebooks.get(existingId) : undefined;
        // Not stored (a crash after create), or deleted by someone in Datadog: look for it by name.
        if (!existing) {
          existingId = await notebooks.findByName(name);
          existing = existingId !== undefined ? await notebooks.get(existingId) : undefined;
        }
        if (existing && existingId !== undefined) {
          const desired = desiredBody(built, resolvedAt, existing);
          if (notebookFingerprint(existing) !== notebookFingerprint(desired))
            await notebooks.update(existingId, desired as v1.NotebookUpdateRequest);
          return store(existingId, false);
        }
        // Every cell of a built notebook is new (no ids), so the resolved form is a valid create body too.
        const id = await notebooks.create(desiredBody(built, resolvedAt) as v1.NotebookCreateRequest);
        return store(id, true);
      });
    },

    /**
     * On recovery, marks the stored notebook(s) of an event (`123`) or of one RCA (`rca/123…`)
     * RESOLVED, found from Postgres, and records resolved_at. Idempotent: a notebook already marked
     * is left alone. Without a stored notebook or account it records resolved_at and says why it skipped.
     */
    async resolveNotebook(eventIdOrRcaId: string, resolvedAt: string = new Date().toISOString()): Promise<ResolveNotebookResult> {
      const rows = await rcas.notebooksOf(eventIdOrRcaId);
      if (rows.length === 0) return { skipped: `no RCA report is stored for ${eventIdOrRcaId}` };
      // The first recovery's time stays the time; a retry does not move it.
      const at =
        rows
          .map((r) => r.resolved_at)
          .find((d): d is Date => !!d)
          ?.toISOString() ?? resolvedAt;
      const resolved: number[] = [];
      const alreadyResolved: number[] = [];
      const skipped: string[] = [];
      const seen = new Set<string>();
      for (const row of rows) {
        if (!row.notebook_id || seen.has(`${row.account}/${row.notebook_id}`)) continue;
        seen.add(`${row.account}/${row.notebook_id}`);
        const credentials = await accounts.credentials(row.account);
        if (!credentials) {
          skipped.push(`no Datadog account "${row.account}" is configured`);
          continue;
        }
        const notebooks = notebooksOf(credentials);
        const id = Number(row.notebook_id);
        const existing = await notebooks.get(id);
        if (!existing) skipped.push(`notebook ${id} no longer exists in Datadog`);
        else if (isResolved(existing)) alreadyResolved.push(id);
        else {
          await notebooks.update(id, markResolved(existing, at));
          resolved.push(id);
        }
      }
      await rcas.markResolved(
        rows.map((r) => r.rca_id),
        at,
      );
      if (seen.size === 0) return { skipped: `no notebook was published for ${eventIdOrRcaId}` };
      return { resolvedAt: at, resolved, alreadyResolved, ...(skipped.length ? { skipped: skipped.join('; ') } : {}) };
    },
  });
};
