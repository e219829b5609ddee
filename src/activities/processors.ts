import { v2 } from '@datadog/datadog-api-client';
import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import { Context, log } from '@temporalio/activity';
import type { AccountStore } from '../accounts/store';
import { callDatadog, rateLimitResetMs } from '../datadog/client';
import type { Db } from '../db/pool';
import { codeOfStatus, noDatadogAccount, RayneFailure } from '../errors';
import { enabledTargets, type ProcessorConfig, type ProcessorConfigStore, targetId, withoutUrlSecrets } from '../processors/config';
import { datadogAppUrl } from '../datadog/links';
import { type AlertLinks, downtimeMarker, forwardSignature, groupSlackMessage, notifyMessage, slackMessage } from '../processors/messages';
import { GroupStore } from '../groups/store';
import { rcaPathId } from '../notebook/notebook';
import { workflowUiUrl } from '../temporal/ui-links';
import { runEffect } from './effect-ledger';
import { EventStore } from '../events/store';
import { alertOf, type StoredAlert } from '../events/alert';
import { reportingFailures } from './failures';
import { type ActivityMetrics, NO_ACTIVITY_METRICS } from '../telemetry/metrics';
import type { EffectOutcome, ProcessorTask, Tier1Plan } from '../contracts/incident';

export interface LinkSettings {
  /** Where people reach this Rayne's API (RAYNE_PUBLIC_URL); event links are left out without it. */
  publicUrl?: string;
  /** The Temporal Web UI (the dev server's, or TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
  namespace: string;
}

export interface ProcessorDeps {
  db: Db;
  accounts: AccountStore;
  processorConfigs: ProcessorConfigStore;
  links: LinkSettings;
  /** Counts each effect's outcome; unset: not counted. */
  metrics?: ActivityMetrics;
}

/** The alert and the delivery's text as received, which forward sends. */
interface StoredEvent extends StoredAlert {
  rawBody: string;
}

async function loadEvent(events: EventStore, eventId: string): Promise<StoredEvent> {
  const row = await events.find(eventId);
  const rawBody = await events.deliveredBody(eventId);
  if (!row || rawBody === undefined) throw new RayneFailure('NotFound', `event ${eventId} does not exist`, { eventId });
  return { ...alertOf(row), rawBody };
}

/** POSTs a body; a non-2xx answer, or none, fails with the code of its status. */
async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  const upstream = new URL(url).host;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new RayneFailure(
      'Unavailable',
      `POST ${upstream} failed: ${(err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : withoutUrlSecrets((err as Error).message)}`,
      { upstream },
    );
  }
  await response.arrayBuffer();
  if (!response.ok) {
    const { status } = response;
    throw new RayneFailure(codeOfStatus(status), `POST ${upstream} answered ${status}`, {
      upstream,
      status,
      retryAfterMs: rateLimitResetMs(status, Object.fromEntries(response.headers.entries())),
    });
  }
  return `HTTP ${response.status}`;
}

/** Posts to a Slack incoming webhook; an HTTP refusal fails with the code of its status. */
async function postToSlack(url: string, message: IncomingWebhookSendArguments, timeoutMs: number): Promise<string> {
  try {
    await new IncomingWebhook(url, { timeout: timeoutMs }).send(message);
    return 'posted';
  } catch (err) {
    // The SDK says an HTTP refusal's status as statusCode (IncomingWebhookHTTPError); a 4xx is not worth retrying.
    const { statusCode, status: bare, original } = err as { statusCode?: number; status?: number; original?: { status?: number } };
    const status = statusCode ?? original?.status ?? bare;
    throw new RayneFailure(codeOfStatus(status), `Slack webhook failed: ${withoutUrlSecrets((err as Error).message)}`, {
      upstream: 'Slack',
      status,
    });
  }
}

/** What the group's Slack message is about: its first member's event (the ledger row's anchor) and, for a report, the RCA. */
export interface GroupSlackNotice {
  groupId: string;
  eventId: string;
  kind: 'report' | 'resolved';
  rcaId?: string;
}

/** Tier-1 processors as activities: each effect goes through the ledger, so it happens once per transition and target. */
export const createProcessorActivities = ({ db, accounts, processorConfigs, links, metrics = NO_ACTIVITY_METRICS }: ProcessorDeps) => {
  const events = new EventStore(db);
  const groups = new GroupStore(db);
  const publicUrl = links.publicUrl?.replace(/\/+$/, '');
  const linksFor = async (e: StoredEvent): Promise<AlertLinks> => {
    const account = await accounts.get(e.account);
    const { workflowExecution: workflow } = Context.current().info;
    return {
      monitor: e.link ?? (account ? `${datadogAppUrl(account.base_url)}/monitors/${e.monitorId}` : undefined),
      event: links.publicUrl ? `${links.publicUrl.replace(/\/+$/, '')}/v1/webhooks/events/${e.id}` : undefined,
      temporalRun: workflow ? workflowUiUrl(links, workflow.workflowId, workflow.runId) : undefined,
    };
  };

  /** Loads the event, its account's settings, and the ledger key for a task; runs the effect; counts a failure. */
  const run =
    (effectFor: (e: StoredEvent, config: ProcessorConfig, task: ProcessorTask) => Promise<Parameters<typeof runEffect>[2]>) =>
    async (eventId: string, task: ProcessorTask): Promise<EffectOutcome> => {
      try {
        const event = await loadEvent(events, eventId);
        const config = await processorConfigs.get(event.account);
        const key = { eventId, processor: task.processor, target: task.target, label: task.label };
        const outcome = await runEffect(events, key, await effectFor(event, config, task));
        metrics.processorEffect(task.processor, outcome);
        log.info('tier-1 effect', { eventId, processor: task.processor, target: task.label, outcome });
        return outcome;
      } catch (err) {
        metrics.processorEffect(task.processor, 'failed');
        throw err;
      }
    };

  const urlOf = (config: ProcessorConfig, processor: 'notify' | 'forward', target: string) => {
    const url = config[processor].urls.find((u) => targetId(u) === target);
    if (!url) throw new RayneFailure('NotConfigured', `${processor} target ${target} is no longer configured`);
    return url;
  };

  return reportingFailures({
    /** The account's enabled targets and how busy this incident has been within the flapping window. */
    async planTier1(eventId: string): Promise<Tier1Plan> {
      const event = await events.find(eventId);
      if (!event) throw new RayneFailure('NotFound', `event ${eventId} does not exist`, { eventId });
      const config = await processorConfigs.get(event.account);
      return {
        targets: enabledTargets(config),
        runOn: config.tier1.run_on,
        flapping: { transitions: config.flapping.transitions, windowMinutes: config.flapping.window_minutes },
        transitionsInWindow: await events.transitionsWithin(event, config.flapping.window_minutes),
        source: event.source,
      };
    },

    notifyProcessor: run(async (e, config, task) => {
      const url = urlOf(config, 'notify', task.target);
      const body = JSON.stringify(notifyMessage(e, await linksFor(e)));
      return { send: () => postJson(url, body, {}, task.timeoutMs) };
    }),

    forwardProcessor: run(async (e, config, task) => {
      const url = urlOf(config, 'forward', task.target);
      const secret = config.forward.signing_secret;
      const headers: Record<string, string> = {
        'x-rayne-event-id': e.id,
        ...(secret ? { 'x-rayne-signature': forwardSignature(secret, e.rawBody) } : {}),
      };
      return { send: () => postJson(url, e.rawBody, headers, task.timeoutMs) };
    }),

    slackProcessor: run(async (e, config, task) => {
      const url = config.slack.webhook_url;
      if (!url) throw new RayneFailure('NotConfigured', 'Slack webhook URL is no longer configured');
      const detail = `${config.flapping.transitions}+ transitions in ${config.flapping.window_minutes} min`;
      const message = slackMessage(e, await linksFor(e), task.mode, detail);
      return { send: () => postToSlack(url, message, task.timeoutMs) };
    }),

    /**
     * An incident group's one Slack message of a kind (its RCA's report, or its resolution): once per
     * group, so a retry or the group's next RCA finds it in the ledger. 'not_configured' when the
     * account has no Slack webhook.
     */
    async postGroupSlack({ groupId, eventId, kind, rcaId }: GroupSlackNotice): Promise<EffectOutcome | 'not_configured'> {
      const group = await groups.find(groupId);
      if (!group) throw new RayneFailure('NotFound', `no incident group ${groupId}`);
      const config = await processorConfigs.get(group.account);
      const url = config.slack.enabled ? config.slack.webhook_url : undefined;
      if (!url) return 'not_configured';
      const rca = group.rcas.find((r) => r.rca_id === rcaId);
      const message = groupSlackMessage(
        {
          memberCount: group.member_count,
          services: group.services,
          hosts: group.hosts,
          members: group.members.map((m) => ({
            monitorId: m.monitor_id,
            monitorName: m.monitor_name,
            service: m.service,
            hostname: m.hostname,
            status: m.status,
          })),
          rootCause: rca?.root_cause,
          verdict: rca?.verdict,
        },
        {
          group: publicUrl && `${publicUrl}/groups/${groupId}`,
          rca: publicUrl && rcaId && `${publicUrl}/rca/${rcaPathId(rcaId)}`,
          notebook: rca?.notebook_url ?? undefined,
        },
        kind,
      );
      const key = { eventId, processor: `slack-group-${kind}`, target: groupId, label: 'Slack (incident group)' };
      const outcome = await runEffect(events, key, { send: () => postToSlack(url, message, config.slack.timeout_ms) });
      metrics.processorEffect('slack', outcome);
      log.info('incident group Slack message', { groupId, kind, outcome });
      return outcome;
    },

    downtimeProcessor: run(async (e, config, task) => {
      const credentials = await accounts.credentials(e.account);
      if (!credentials) throw noDatadogAccount(e.account);
      const marker = downtimeMarker(e.id);
      const call = <T>(operation: string, fn: (api: v2.DowntimesApi) => Promise<T>) =>
        callDatadog(credentials, operation, (c) => fn(new v2.DowntimesApi(c)), { timeoutMs: task.timeoutMs });
      const s = config.downtime;
      return {
        async findExisting() {
          for (let offset = 0; offset < 1000; offset += 100) {
            const page = await call('list downtimes', (api) =>
              api.listDowntimes({ currentOnly: true, pageOffset: offset, pageLimit: 100 }),
            );
            const found = page.data?.find((d) => d.attributes?.message?.includes(marker));
            if (found) return `downtime ${found.id}`;
            if ((page.data?.length ?? 0) < 100) return undefined;
          }
          return undefined;
        },
        async send() {
          const created = await call('create downtime', (api) =>
            api.createDowntime({
              body: {
                data: {
                  type: 'downtime',
                  attributes: {
                    monitorIdentifier: { monitorId: Number(e.monitorId) },
                    scope: s.use_alert_scope && e.scope !== '*' ? e.scope : s.scope,
                    message: `Muted by Rayne after ${e.status} of monitor ${e.monitorId} for ${s.duration_minutes} min. ${marker}`,
                    schedule: { end: new Date(Date.now() + s.duration_minutes * 60_000) },
                  },
                },
              },
            }),
          );
          return `downtime ${created.data?.id}`;
        },
      };
    }),
  });
};
