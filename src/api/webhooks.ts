import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { DatadogAlertSchema, fromDatadog } from '../intake/datadog-payload';
import { type AcceptResult, retryPath } from '../intake/intake';
import { ProcessorConfigInput, viewProcessorConfig } from '../processors/config';
import type { ApiDeps } from './deps';
import { requireApiToken, requireWebhookSecret } from './auth';
import { ApiError } from './errors';
import { temporalRunLink } from './links';
import {
  type ApiRoutes,
  BAD_REQUEST,
  json,
  jsonRequest,
  openApiApp,
  problem,
  routesOf,
  security,
  UNAUTHORIZED,
  UNSUPPORTED_MEDIA_TYPE,
} from './openapi';
import { bigintDigits, jsonBody, readJson, storableText } from './request';
import { ALERT_SOURCES, ALERT_STATUSES, EVENT_STATUSES } from '../contracts/alert';
import { EventDetailRow, EventStore, EventSummaryRow, ProcessorRunRow } from '../events/store';
import { jsonShape } from '../db/rows';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const EventFilters = z.object({
  status: z.enum(EVENT_STATUSES).optional(),
  monitor_id: storableText().pipe(z.string().min(1)).optional(),
  source: z.enum(ALERT_SOURCES).optional(),
  account: storableText().optional(),
  alert_status: z.enum(ALERT_STATUSES).optional(),
  since: z
    .string()
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    // Postgres keeps years 4713 BC to 294276 AD; year 0 and friends are not a date anyone meant.
    .refine((v) => Date.parse(v) >= Date.UTC(1970, 0, 1), 'must be a date-time since 1970')
    .optional(),
  cursor: bigintDigits('must be a cursor returned by a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const EventId = bigintDigits('event id must be a number');
const AccountFilter = z.object({
  account: storableText().pipe(z.string().min(1)).optional().meta({ description: 'default: the default account' }),
});

const Nullable = z.string().nullable();
const Timestamp = z.string().meta({ format: 'date-time' });
const TemporalLink = z.object({
  temporal_run: Nullable.meta({ description: 'the run in the Temporal Web UI; null without TEMPORAL_UI_URL' }),
});
/** What a receive route answers for one stored event. */
export const Accepted = z
  .object({
    event_id: z.string(),
    workflow_id: z.string(),
    run_id: Nullable,
    duplicate: z.boolean(),
    status: z
      .enum(EVENT_STATUSES)
      .meta({ description: 'where the event is: a redelivery of one that never started says so (dead_letter)' }),
    message: z.string().optional().meta({ description: 'for a dead-lettered event: what happened and how to retry it' }),
    links: TemporalLink.extend({
      retry: z.string().optional().meta({ description: 'for a dead-lettered event: POST here to start it again' }),
    }),
  })
  .meta({ id: 'WebhookAccepted' });
const Retried = z
  .object({ event_id: z.string(), workflow_id: z.string(), run_id: z.string(), status: z.literal('started'), links: TemporalLink })
  .meta({ id: 'EventRetried' });
const EventSummary = z
  .looseObject({
    ...jsonShape(EventSummaryRow.shape),
    monitor_id: z.string().meta({ description: "Datadog's monitor id, or source:rule for other sources (alertmanager:HighCPU)" }),
    group_id: EventSummaryRow.shape.group_id.meta({
      description: "the incident group of this transition's episode (GET /v1/groups/{id}); null when it has none",
    }),
  })
  .meta({ id: 'WebhookEvent' });
/** A workflow's live status as Temporal reports it (see workflowStatus). */
export const WorkflowStatus = z
  .looseObject({
    status: z.string().meta({ description: 'RUNNING, COMPLETED…, NOT_STARTED, or UNKNOWN (with error) when Temporal cannot say' }),
    start_time: Timestamp.optional(),
    close_time: Timestamp.nullable().optional(),
    history_length: z.number().int().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'WorkflowStatus' });
const EventDetail = EventSummary.extend({
  processing: EventDetailRow.shape.processing.meta({ description: 'the processing decision recorded by the workflow' }),
  payload: EventDetailRow.shape.payload.meta({
    description: "a Datadog payload as received; another source's alert in the same field names (its delivery is kept as received too)",
  }),
  processor_runs: z.array(z.looseObject(jsonShape(ProcessorRunRow.shape))),
  workflow: WorkflowStatus,
  links: TemporalLink,
}).meta({ id: 'WebhookEventDetail' });
const ProcessorConfigView = z.looseObject({ account: z.string() }).meta({
  id: 'ProcessorConfigView',
  description: "the account's tier-1 processor settings; secrets show only as *_set flags and URLs without credentials",
});
const Counts = z.record(z.string(), z.number().int());

const NOT_FOUND_ACCOUNT = problem('no account by that name');
const route = routesOf('Datadog webhooks', security.apiToken);

// Documented only: the handler reads the raw body itself (it stores the exact bytes), so no validator runs before it.
const DatadogAlertBody = jsonRequest(DatadogAlertSchema.meta({ id: 'DatadogAlert' }), `at most ${MAX_WEBHOOK_BYTES} bytes`);
const receiveDoc = (path: string, account: boolean) =>
  createRoute({
    method: 'post',
    path,
    tags: ['Datadog webhooks'],
    security: security.webhookSecret,
    summary: account ? 'Receive a Datadog webhook for an account' : 'Receive a Datadog webhook',
    description:
      'Stores the alert transition and starts or signals its incident workflow before answering. ' +
      "Ids may be quoted or bare, tags an array or Datadog's comma-separated $TAGS; unknown fields are kept. " +
      'A redelivery (same alert_id and transition_id, else the same canonical payload) answers 200 with the original ids and starts nothing; ' +
      'for a dead-lettered event it says so and links to its retry.',
    request: {
      ...(account
        ? {
            params: z.object({
              account: z.string().meta({ description: 'the account; without it, the one whose org_id matches, else the default' }),
            }),
          }
        : {}),
      body: DatadogAlertBody,
    },
    responses: {
      200: json(Accepted, 'a redelivery: the original ids and the status, nothing changed'),
      202: json(Accepted, 'stored, and Temporal accepted the start or signal'),
      400: BAD_REQUEST,
      401: problem('RAYNE_WEBHOOK_SECRET is set and neither X-Rayne-Token nor the basic-auth password matches'),
      404: NOT_FOUND_ACCOUNT,
      413: problem(`the body is over ${MAX_WEBHOOK_BYTES} bytes`),
      415: UNSUPPORTED_MEDIA_TYPE,
      422: problem(
        'stored as rejected: Temporal refuses the start as it is (too large, invalid); sending it again cannot help, and a redelivery answers 422 again, naming POST /v1/webhooks/events/{id}/retry',
      ),
      502: problem(
        "Temporal refuses Rayne's setup (no such TEMPORAL_NAMESPACE, credentials, search attributes); the event is kept and started once it is fixed",
      ),
      503: problem('Temporal did not accept the start; the event is kept and started later, so retrying is safe', true),
    },
  });
const RECEIVE_DOCS = [receiveDoc('/receive', false), receiveDoc('/receive/{account}', true)];

const listEvents = route({
  method: 'get',
  path: '/events',
  summary: 'List received events',
  description: 'Newest first; pass next_cursor as cursor for the next page.',
  request: { query: EventFilters },
  responses: {
    200: json(z.object({ events: z.array(EventSummary), next_cursor: Nullable }), 'a page of events'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
  },
});
const showEvent = route({
  method: 'get',
  path: '/events/{id}',
  summary: 'Show an event',
  request: { params: z.object({ id: EventId }) },
  responses: {
    200: json(EventDetail, 'the event, its raw payload, processor runs and live workflow status'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: problem('no event with that id'),
  },
});
const retryEvent = route({
  method: 'post',
  path: '/events/{id}/retry',
  summary: 'Retry a rejected or dead-lettered event',
  description:
    "Starts the event's workflow against Temporal as it is now, with a fresh round of attempts, and stores the outcome on the event: " +
    'started, rejected again (422, with the reason), or kept pending for the reconciler (503, 502).',
  request: { params: z.object({ id: EventId }) },
  responses: {
    202: json(Retried, 'Temporal accepted the start or signal'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: problem('no event with that id'),
    409: problem('the event is neither rejected nor dead_letter (its status is in the message)'),
    422: problem('Temporal refuses the start as it is; stored as rejected with the reason'),
    502: problem("Temporal refuses Rayne's setup; the event is kept pending and started once it is fixed"),
    503: problem('Temporal did not accept the start; the event is kept pending and started when it is back', true),
  },
});
const getConfig = route({
  method: 'get',
  path: '/config',
  summary: 'Show tier-1 processor settings',
  request: { query: AccountFilter },
  responses: {
    200: json(ProcessorConfigView, 'the settings (defaults when never saved)'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND_ACCOUNT,
  },
});
const saveConfig = route({
  method: 'post',
  path: '/config',
  summary: 'Change tier-1 processor settings',
  middleware: [jsonBody] as const,
  description: 'Given sections replace the stored ones; a section that omits its secret keeps the stored secret.',
  request: { body: jsonRequest(ProcessorConfigInput.meta({ id: 'ProcessorConfigInput' })) },
  responses: {
    200: json(ProcessorConfigView, 'the settings now stored'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND_ACCOUNT,
    415: UNSUPPORTED_MEDIA_TYPE,
  },
});
const stats = route({
  method: 'get',
  path: '/stats',
  summary: 'Event totals',
  responses: {
    200: json(
      z.object({
        total: z.number().int(),
        last_24h: z.number().int(),
        incidents: z.number().int(),
        by_status: Counts,
        by_alert_status: Counts,
      }),
      'totals',
    ),
    401: UNAUTHORIZED,
  },
});

/** Bounds a webhook's body: 413 over MAX_WEBHOOK_BYTES. */
export const webhookBodyLimit = bodyLimit({
  maxSize: MAX_WEBHOOK_BYTES,
  onError: () => {
    throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
  },
});

/** The account a receive route's path names, if any; 400 for a NUL in it. */
export function pathAccountOf(c: Context): string | undefined {
  const account = c.req.param('account');
  // An account name is looked up, never stored as sent: a NUL in it is a bad name, not text to repair.
  if (account?.includes('\0'))
    throw new ApiError('BAD_REQUEST', 'invalid account', [{ field: 'account', message: 'must not contain NUL (%00)' }]);
  return account;
}

/** One accepted event as a receive route answers it: its links, and for a dead-lettered one what happened and how to retry. */
export function acceptedView(config: ApiDeps['config'], result: AcceptResult) {
  const links = { temporal_run: temporalRunLink(config, result.workflow_id, result.run_id) };
  if (result.status !== 'dead_letter') return { ...result, links };
  const retry = retryPath(result.event_id);
  const message = `event ${result.event_id} is dead_letter: its workflow start kept failing, and sending it again starts nothing; retry it with POST ${retry} (rayne events retry ${result.event_id})`;
  return { ...result, message, links: { ...links, retry } };
}

export const webhookRoutes = ({ intake, db, temporal, auth, config, accounts, processorConfigs, metrics }: ApiDeps): ApiRoutes => {
  const events = new EventStore(db);
  /** The account a config request names, else the default one; "default" also stands for "no accounts yet". */
  const configAccount = async (name: string | undefined): Promise<string> => {
    if (name === undefined) return (await accounts.routeByOrg(undefined)) ?? 'default';
    if (name !== 'default' && !(await accounts.get(name))) throw new ApiError('NOT_FOUND', `no account named "${name}"`);
    return name;
  };

  const receive = openApiApp();
  RECEIVE_DOCS.forEach((doc) => receive.openAPIRegistry.registerPath(doc));
  receive.post(
    '/receive/:account?',
    // First in the chain, so it sees every answer: the error handler has already turned errors into responses.
    async (c, next) => {
      await next();
      metrics.webhookAnswered('datadog', c.res.status);
    },
    requireWebhookSecret(config.RAYNE_WEBHOOK_SECRET),
    webhookBodyLimit,
    async (c) => {
      const account = pathAccountOf(c);
      const { value, raw, text } = await readJson(c, DatadogAlertSchema);
      // An unknown account (404), Temporal away (503) or a start refused for good (422) is answered by the error handler.
      const result = await intake.accept(account, fromDatadog(value, raw as Record<string, unknown>, text));
      if (result.duplicate) metrics.webhooksDuplicated.inc({ source: 'datadog' });
      // A dead-lettered event answers 200: its message says how to retry it.
      return c.json(acceptedView(config, result), result.duplicate || result.status === 'dead_letter' ? 200 : 202);
    },
  );

  const reads = openApiApp();
  reads.use(requireApiToken(auth));
  reads
    .openapi(listEvents, async (c) => {
      const f = c.req.valid('query');
      const rows = await events.list(f);
      const page = rows.slice(0, f.limit);
      return c.json({ events: page, next_cursor: rows.length > f.limit ? page[page.length - 1]!.id : null }, 200);
    })
    .openapi(showEvent, async (c) => {
      const { id } = c.req.valid('param');
      const event = await events.detail(id);
      if (!event) throw new ApiError('NOT_FOUND', `no event ${id}`);
      return c.json(
        {
          ...event,
          processor_runs: await events.processorRuns(id),
          workflow: await workflowStatus(temporal, event.workflow_id, event.run_id, config.RAYNE_TEMPORAL_TIMEOUT_MS),
          links: { temporal_run: event.run_id ? temporalRunLink(config, event.workflow_id, event.run_id) : null },
        },
        200,
      );
    })
    .openapi(retryEvent, async (c) => {
      const { id } = c.req.valid('param');
      // Temporal away (503), misconfigured (502) or refusing the start (422) is answered by the error handler.
      const result = await intake.retry(id);
      if (!result) {
        const event = await events.detail(id);
        if (!event) throw new ApiError('NOT_FOUND', `no event ${id}`);
        throw new ApiError('CONFLICT', `event ${id} is ${event.status}; only rejected or dead_letter events are retried`);
      }
      return c.json({ ...result, links: { temporal_run: temporalRunLink(config, result.workflow_id, result.run_id) } }, 202);
    })
    .openapi(getConfig, async (c) => {
      const name = await configAccount(c.req.valid('query').account);
      return c.json({ account: name, ...viewProcessorConfig(await processorConfigs.get(name)) }, 200);
    })
    .openapi(saveConfig, async (c) => {
      const value = c.req.valid('json');
      const name = await configAccount(value.account);
      return c.json({ account: name, ...viewProcessorConfig(await processorConfigs.save(name, value)) }, 200);
    })
    .openapi(stats, async (c) => {
      const { totals, byStatus, byAlertStatus } = await events.stats();
      // Every status shows, at zero too: rejected and dead_letter are what to watch.
      return c.json(
        { ...totals, by_status: { ...Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])), ...byStatus }, by_alert_status: byAlertStatus },
        200,
      );
    });

  return openApiApp().route('/', receive).route('/', reads);
};

/** The workflow's live status from Temporal; "unknown" (with why) when Temporal cannot say. */
export async function workflowStatus(temporal: ApiDeps['temporal'], workflowId: string, runId: string | null, timeoutMs: number) {
  if (!runId) return { status: 'NOT_STARTED' };
  try {
    const d = await temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
      temporal.workflow.getHandle(workflowId, runId).describe(),
    );
    return { status: d.status.name, start_time: d.startTime, close_time: d.closeTime ?? null, history_length: d.historyLength };
  } catch (err) {
    return { status: 'UNKNOWN', error: (err as Error).message };
  }
}
