import { v1, v2 } from '@datadog/datadog-api-client';
import { Context } from '@temporalio/activity';
import type { AccountStore } from '../accounts/store';
import { callDatadog } from '../datadog/client';
import { type DatadogCall, isDatadogMonitorId, monitorSummary, readHost } from '../datadog/reads';
import {
  alertLogsQuery,
  hostActivityLogsQuery,
  keyMetricQueries,
  peerErrorLogsQuery,
  processMetricQueries,
  REQUEST_LOGS_QUERY,
} from '../datadog/queries';
import type { Db } from '../db/pool';
import { noDatadogAccount, RayneFailure } from '../errors';
import type { SimilarityProviders } from '../similarity/providers';
import type { SimilarIncident } from '../evidence/bundle';
import { keepChangedLines } from '../evidence/condense';
import { hostAnswersTo, type NamedHost, namedInErrors } from '../evidence/named-hosts';
import { type OriginSummary, summariseOrigins } from '../evidence/origins';
import {
  EVIDENCE_WINDOW_MS,
  type LogSearch,
  type MetricSummary,
  peersOf,
  type StoredEvent,
  type StoredLogLine,
  changeWindowOf,
  summariseSeries,
  topSeries,
  windowOf,
} from '../evidence/sources';
import { findSimilar } from '../similarity/rank';
import type { AlertContext, EvidenceSource, PrefetchSource, RcaPhase, Role, SourceOutcome } from '../contracts/rca';
import { RcaStore } from '../rca/store';
import { EventStore } from '../events/store';
import { alertOf } from '../events/alert';
import { reportingFailures } from './failures';
import { PrometheusClient } from '../prometheus/client';
import { type PrometheusAlertRef, readHostHealth, readPrometheus } from '../prometheus/reads';

const LOG_PAGE_SIZE = 1000;
const MAX_LOG_PAGES = 5;
// The wider searches (the host's other lines, the peers' errors) get fewer pages than the alert's own.
const MAX_EXTRA_LOG_PAGES = 2;
/** How far back the alert host's other lines are read: enough to tell what started recently. */
const HOST_ACTIVITY_MS = 2 * 60 * 60_000;
const MAX_NAMED_HOSTS = 5;
/** Request lines this close to the alert are the traffic that it saw. */
const RECENT_TRAFFIC_MS = 15 * 60_000;
// Three hours of a busy account's events: room for the changes among them; the bundle ranks and trims.
const MAX_EVENTS = 500;
// A grouped query (by process) answers a series per group; the top few are the ones that matter.
const MAX_SERIES_PER_QUERY = 3;

/** How far past the alert's time series are read: a rule's evaluation interval or two. */
const RULE_EVALUATION_SLACK_MS = 2 * 60_000;

/** The first alert of a stored Alertmanager or Grafana delivery (the intake stores one alert per row). */
function storedPrometheusAlert(rawBody: string | null | undefined): PrometheusAlertRef | undefined {
  try {
    const alert = (JSON.parse(rawBody ?? '') as { alerts?: Array<{ labels?: Record<string, string>; generatorURL?: string }> }).alerts?.[0];
    return alert?.labels ? { labels: alert.labels, generatorURL: alert.generatorURL } : undefined;
  } catch {
    return undefined;
  }
}

export interface PrefetchDeps {
  db: Db;
  accounts: AccountStore;
  similarity: SimilarityProviders;
  /** Top-k and the score below which a past incident is not similar (applied, not just printed). */
  similar: { limit: number; minScore: number };
}

interface SearchOptions {
  pages: number;
  /** Newest first reads what happened nearest the alert when there are more lines than pages. */
  newestFirst?: boolean;
  /** Keep each line's parsed attributes (request logs' origins); other lines are stored without them. */
  attributes?: boolean;
}

type LogSearcher = (
  query: string,
  range: { from: Date; to: Date },
  options: SearchOptions,
) => Promise<{ lines: StoredLogLine[]; capped: boolean }>;

/** Pages of one logs search; `capped` when lines were left. */
async function searchLogs(
  call: DatadogCall,
  query: string,
  range: { from: Date; to: Date },
  { pages: maxPages, newestFirst, attributes }: SearchOptions,
): Promise<{ lines: StoredLogLine[]; capped: boolean }> {
  const lines: StoredLogLine[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await call(`search logs ${query}`, (c) =>
      new v2.LogsApi(c).listLogs({
        body: {
          filter: { query, from: range.from.toISOString(), to: range.to.toISOString() },
          page: { limit: LOG_PAGE_SIZE, cursor },
          sort: newestFirst ? '-timestamp' : 'timestamp',
        },
      }),
    );
    for (const log of result.data ?? []) {
      const a = log.attributes ?? {};
      lines.push({
        at: (a.timestamp ?? range.to).toISOString(),
        host: a.host,
        service: a.service,
        status: a.status,
        message: String(a.message ?? ''),
        ...(attributes && a.attributes ? { attributes: a.attributes } : {}),
      });
    }
    cursor = result.meta?.page?.after;
    if (!cursor || (result.data?.length ?? 0) < LOG_PAGE_SIZE) break;
  }
  return { lines, capped: cursor !== undefined };
}

/**
 * Searches besides the alert's own: the alert host's other lines, newest first over a longer range
 * so that what started shortly before the alert stands out, and other services' errors on its peers.
 */
async function widerLogSearches(
  ctx: AlertContext,
  alertLines: StoredLogLine[],
  search: LogSearcher,
  window: { from: Date; to: Date },
): Promise<LogSearch[]> {
  const more: LogSearch[] = [];
  if (ctx.hostname) {
    const query = hostActivityLogsQuery(ctx.hostname);
    const { lines } = await search(
      query,
      { from: new Date(window.to.getTime() - HOST_ACTIVITY_MS), to: window.to },
      { pages: MAX_EXTRA_LOG_PAGES, newestFirst: true },
    );
    more.push({ query, why: "on the alert's host, not an error", lines, newWithinMinutes: EVIDENCE_WINDOW_MS / 60_000 });
  }
  const peerQuery = ctx.service && peerErrorLogsQuery(peersOf(alertLines, ctx), ctx.service);
  if (peerQuery) {
    const { lines } = await search(peerQuery, window, { pages: MAX_EXTRA_LOG_PAGES });
    more.push({ query: peerQuery, why: 'another service on a host the alerting service runs on', lines, errors: true });
  }
  return more;
}

/** Each named address or host looked up in Datadog's host list; names no host answers to are dropped. */
async function resolveNamedHosts(call: DatadogCall, named: Array<{ named: string; lines: number }>): Promise<NamedHost[]> {
  const found: NamedHost[] = [];
  for (const { named: name, lines } of named) {
    const list = await call(`list hosts ${name}`, (c) => new v1.HostsApi(c).listHosts({ filter: name, count: 10 }));
    const host = list.hostList?.find((h) =>
      hostAnswersTo({ name: h.hostName ?? h.name, aliases: h.aliases, tags: Object.values(h.tagsBySource ?? {}).flat() }, name),
    );
    if (!host) continue;
    found.push({
      named: name,
      lines,
      host: host.hostName ?? host.name ?? name,
      up: host.up,
      lastReportedTime: host.lastReportedTime,
      apps: host.apps ?? [],
      tags: Object.values(host.tagsBySource ?? {})
        .flat()
        .slice(0, 12),
    });
  }
  return found;
}

/** Request logs' top origins in the last minutes before the alert, against the same half hour an hour earlier. */
async function requestOrigins(search: LogSearcher, to: Date): Promise<OriginSummary | undefined> {
  const recentWindow = { from: new Date(to.getTime() - RECENT_TRAFFIC_MS), to };
  const earlierWindow = { from: new Date(to.getTime() - 2 * EVIDENCE_WINDOW_MS), to: new Date(to.getTime() - EVIDENCE_WINDOW_MS) };
  const sample = { pages: 1, newestFirst: true, attributes: true };
  const recent = (await search(REQUEST_LOGS_QUERY, recentWindow, sample)).lines;
  if (recent.length === 0) return undefined;
  const earlier = (await search(REQUEST_LOGS_QUERY, earlierWindow, sample)).lines;
  const iso = (w: { from: Date; to: Date }) => ({ from: w.from.toISOString(), to: w.to.toISOString() });
  return {
    query: REQUEST_LOGS_QUERY,
    recentLines: recent.length,
    earlierLines: earlier.length,
    recentWindow: iso(recentWindow),
    earlierWindow: iso(earlierWindow),
    top: summariseOrigins(recent, earlier),
  };
}

/** The text an incident is embedded by: what it is about, not when. */
export function incidentText(a: Pick<AlertContext, 'title' | 'monitorName' | 'service' | 'hostname' | 'message'>): string {
  return [a.title, a.monitorName, a.service && `service ${a.service}`, a.hostname && `host ${a.hostname}`, a.message?.slice(0, 600)]
    .filter(Boolean)
    .join('\n');
}

/**
 * The first half of rcaWorkflow's side: load the alert, fetch each Datadog source into
 * rca_sources (upserted by source, so a retry overwrites rather than duplicates), record phases.
 */
export const createPrefetchActivities = ({ db, accounts, similarity, similar }: PrefetchDeps) => {
  const rcas = new RcaStore(db);
  const events = new EventStore(db);
  const save = async (rcaId: string, outcome: SourceOutcome, data: unknown): Promise<SourceOutcome> => {
    await rcas.saveSource(rcaId, outcome, data);
    return outcome;
  };

  /**
   * A source without an account is recorded as failed with why, and logged as one line: a stack
   * without an account is the usual first run, and a failed activity would log a stack trace per source.
   */
  // Not configured is an answer, not a failure: the run's history shows a completed activity, not
  // red retries, and the log one line per source.
  const missingAccount = async (rcaId: string, source: PrefetchSource, account: string): Promise<SourceOutcome> => {
    const reason = `not configured: ${noDatadogAccount(account).message}`;
    Context.current().log.warn(`${source} not fetched: ${reason}`, { rcaId, source });
    return save(rcaId, { source, status: 'skipped', items: 0, reason }, undefined);
  };

  /** Runs one source: Datadog calls for the alert's account, the result saved, failures classified. */
  const prefetch =
    (
      source: PrefetchSource,
      fetchSource: (ctx: AlertContext, call: DatadogCall) => Promise<{ outcome: Omit<SourceOutcome, 'source'>; data?: unknown }>,
    ) =>
    async (rcaId: string, ctx: AlertContext): Promise<SourceOutcome> => {
      const credentials = await accounts.credentials(ctx.account);
      if (!credentials) return missingAccount(rcaId, source, ctx.account);
      // A heartbeat per call lets Temporal notice a dead worker long before the start-to-close timeout.
      const { outcome, data } = await fetchSource(ctx, (operation, fn) => {
        Context.current().heartbeat(operation);
        return callDatadog(credentials, operation, fn);
      });
      return save(rcaId, { source, ...outcome }, data);
    };

  const counted = (items: number, emptyReason: string) =>
    items > 0 ? { status: 'ok' as const, items } : { status: 'empty' as const, items: 0, reason: emptyReason };

  return reportingFailures({
    /** Loads the alert and registers the run; idempotent, so a re-run of the activity changes nothing. */
    async startRca(rcaId: string, eventId: string): Promise<AlertContext> {
      const row = await events.find(eventId);
      if (!row) throw new RayneFailure('NotFound', `event ${eventId} does not exist`, { eventId });
      await rcas.start(rcaId, eventId, row.account);
      const alert = alertOf(row);
      return {
        eventId,
        account: alert.account,
        status: alert.status,
        monitorId: alert.monitorId,
        monitorName: alert.monitorName,
        monitorType: alert.monitorType,
        title: alert.title,
        message: alert.message?.slice(0, 4000),
        tags: alert.tags,
        service: alert.service,
        hostname: alert.hostname,
        scope: alert.scope,
        alertTime: alert.alertTime,
        ...(alert.source !== 'datadog' ? { source: alert.source } : {}),
        ...(alert.source === 'datadog' && (await accounts.get(alert.account))?.prometheus ? { readsPrometheus: true } : {}),
      };
    },

    setRcaPhase: (rcaId: string, phase: RcaPhase, role?: { role: Role; reason: string }, error?: string): Promise<void> =>
      rcas.setPhase(rcaId, phase, role, error),

    /** A source that failed for good, recorded so the evidence names it as missing with why. */
    async recordSourceFailure(rcaId: string, source: EvidenceSource, reason: string): Promise<SourceOutcome> {
      return save(rcaId, { source, status: 'failed', items: 0, reason: reason.slice(0, 500) }, undefined);
    },

    prefetchLogs: prefetch('logs', async (ctx, call) => {
      const query = alertLogsQuery(ctx);
      if (!query) return { outcome: { status: 'skipped', items: 0, reason: 'the alert names no host or service' } };
      const { from, to } = windowOf(ctx);
      const search: LogSearcher = (q, range, options) => searchLogs(call, q, range, options);
      const { lines, capped } = await search(query, { from, to }, { pages: MAX_LOG_PAGES });
      // The wider look is best effort: a failure there is noted, and the alert's own lines are kept.
      const notes: string[] = capped ? [`capped at ${MAX_LOG_PAGES * LOG_PAGE_SIZE} lines`] : [];
      const attempt = <T>(what: string, fn: () => Promise<T>) =>
        fn().catch((err: unknown) => {
          notes.push(`${what} failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
          return undefined;
        });
      const more = (await attempt('the wider logs searches', () => widerLogSearches(ctx, lines, search, { from, to }))) ?? [];
      const errorLines = [...lines, ...more.filter((m) => m.errors).flatMap((m) => m.lines)];
      const namedHosts = await attempt('looking up hosts named in errors', () =>
        resolveNamedHosts(call, namedInErrors(errorLines, [ctx.hostname ?? ''], MAX_NAMED_HOSTS)),
      );
      const origins = await attempt('sampling request origins', () => requestOrigins(search, to));
      const items = lines.length + more.reduce((n, m) => n + m.lines.length, 0);
      return {
        outcome: {
          ...counted(items, `no error or warning logs for ${query} in the 30 minutes before the alert`),
          ...(notes.length ? { reason: notes.join('; ') } : {}),
        },
        data: { query, lines, more, namedHosts, origins },
      };
    }),

    prefetchEvents: prefetch('events', async (ctx, call) => {
      const { from, to } = changeWindowOf(ctx);
      const result = await call('list events', (c) =>
        new v1.EventsApi(c).listEvents({ start: Math.floor(from.getTime() / 1000), end: Math.ceil(to.getTime() / 1000) }),
      );
      const events: StoredEvent[] = (result.events ?? []).slice(0, MAX_EVENTS).map((e) => ({
        id: e.idStr ?? (e.id !== undefined ? String(e.id) : undefined),
        at: new Date((e.dateHappened ?? 0) * 1000).toISOString(),
        title: e.title ?? '',
        text: keepChangedLines(e.text ?? '', 1000),
        source: e.sourceTypeName,
        alertType: e.alertType === undefined ? undefined : String(e.alertType),
        tags: e.tags ?? [],
      }));
      return { outcome: counted(events.length, 'no events from 3 hours before the alert to 10 minutes after it'), data: { events } };
    }),

    prefetchHost: prefetch('host', async (ctx, call) => {
      if (!ctx.hostname) return { outcome: { status: 'skipped', items: 0, reason: 'the alert names no host' } };
      const host = await readHost(call, ctx.hostname);
      if (!('found' in host)) return { outcome: { status: 'empty', items: 0, reason: `host ${ctx.hostname} is not reporting to Datadog` } };
      return { outcome: { status: 'ok', items: 1 }, data: host.found };
    }),

    prefetchMonitor: prefetch('monitor', async (ctx, call) => {
      if (!isDatadogMonitorId(ctx.monitorId))
        return { outcome: { status: 'skipped', items: 0, reason: `the alert is not from a Datadog monitor (${ctx.monitorId})` } };
      const m = await call(`get monitor ${ctx.monitorId}`, (c) => new v1.MonitorsApi(c).getMonitor({ monitorId: Number(ctx.monitorId) }));
      return { outcome: { status: 'ok', items: 1 }, data: monitorSummary(m) };
    }),

    prefetchMetrics: prefetch('metrics', async (ctx, call) => {
      // The monitor's own metric needs its query; without it the host and service metrics still come.
      const monitorQuery = isDatadogMonitorId(ctx.monitorId)
        ? await call(`get monitor ${ctx.monitorId}`, (c) => new v1.MonitorsApi(c).getMonitor({ monitorId: Number(ctx.monitorId) })).then(
            (m) => m.query,
            () => undefined,
          )
        : undefined;
      const { from, to } = windowOf(ctx);
      const summaries: MetricSummary[] = [];
      const processQueries = ctx.hostname ? processMetricQueries(ctx.hostname) : [];
      for (const { label, query } of [...keyMetricQueries({ ...ctx, monitorQuery }), ...processQueries]) {
        const result = await call(`query metric ${query}`, (c) =>
          new v1.MetricsApi(c).queryMetrics({ from: Math.floor(from.getTime() / 1000), to: Math.ceil(to.getTime() / 1000), query }),
        );
        const series = (result.series ?? []).flatMap(
          (s) => summariseSeries(label, query, s.scope ?? '', (s.pointlist ?? []) as Array<[number, number | null]>, to.getTime()) ?? [],
        );
        summaries.push(...topSeries(series, MAX_SERIES_PER_QUERY));
      }
      return {
        outcome: counted(summaries.length, 'none of the key metrics has data for this host or service'),
        data: { metrics: summaries },
      };
    }),

    /**
     * The account's Prometheus: for an alert from Alertmanager or Grafana the alerting expression (from
     * the stored delivery's generatorURL), the target's health by its labels, and the rule's state; for
     * a Datadog alert its host's (or else its service's) health.
     */
    async prefetchPrometheus(rcaId: string, ctx: AlertContext): Promise<SourceOutcome> {
      const settings = await accounts.prometheus(ctx.account);
      const skipped = (reason: string) => save(rcaId, { source: 'prometheus', status: 'skipped', items: 0, reason }, undefined);
      if (!settings) {
        const reason = `not configured: account "${ctx.account}" has no Prometheus; set one with PUT /v1/accounts/${ctx.account} {"prometheus": {"url": …}}`;
        Context.current().log.warn(`prometheus not fetched: ${reason}`, { rcaId, source: 'prometheus' });
        return skipped(reason);
      }
      const { from, to } = windowOf(ctx);
      // Read a little past the alert (never past now): the sample that made the rule true lands on its evaluation.
      const window = { from, to: new Date(Math.min(Date.now(), to.getTime() + RULE_EVALUATION_SLACK_MS)), alertMs: to.getTime() };
      const client = new PrometheusClient(settings, ctx.account);
      const beat = (operation: string) => Context.current().heartbeat(operation);
      if (!ctx.source || ctx.source === 'datadog') {
        if (!ctx.hostname && !ctx.service) return skipped('the alert names no host or service');
        const data = await readHostHealth(client, settings.url, ctx, window, beat);
        const outcome = counted(
          data.health.length,
          `Prometheus at ${settings.url} has no health series for ${ctx.hostname ? `host ${ctx.hostname}` : `job ${ctx.service}`}`,
        );
        return save(rcaId, { source: 'prometheus', ...outcome, ...(data.notes.length ? { reason: data.notes.join('; ') } : {}) }, data);
      }
      const alert = storedPrometheusAlert(await events.deliveredBody(ctx.eventId));
      if (!alert) return skipped('the stored delivery has no alert labels');
      const data = await readPrometheus(client, settings.url, alert, window, beat);
      const items = (data.expression?.series.length ?? 0) + data.health.length + (data.rule ? 1 : 0);
      const outcome = counted(
        items,
        `Prometheus at ${settings.url} has no series for the alert's expression or target, and no rule "${alert.labels.alertname}"`,
      );
      return save(rcaId, { source: 'prometheus', ...outcome, ...(data.notes.length ? { reason: data.notes.join('; ') } : {}) }, data);
    },

    /** Past incidents of the same account whose embedding is close to this alert's, best first, above the threshold. */
    async findSimilarIncidents(rcaId: string, ctx: AlertContext): Promise<SourceOutcome> {
      const hits = await findSimilar(similarity, incidentText(ctx), {
        limit: similar.limit,
        minScore: similar.minScore,
        filter: { account: ctx.account, excludeId: rcaId },
      });
      const incidents: SimilarIncident[] = hits.map((h) => ({
        id: h.id,
        title: h.payload.title,
        rootCause: h.payload.rootCause,
        category: h.payload.category,
        score: Math.round(h.score * 1000) / 1000,
        confirmed: h.payload.confirmed,
        links: h.payload.links,
      }));
      const outcome: SourceOutcome = incidents.length
        ? { source: 'similar', status: 'ok', items: incidents.length }
        : {
            source: 'similar',
            status: 'empty',
            items: 0,
            reason: `no past incident of account "${ctx.account}" scores ${similar.minScore} or more`,
          };
      return save(rcaId, outcome, { embedder: similarity.embedder.name, incidents });
    },
  });
};
