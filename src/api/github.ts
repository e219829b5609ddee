import { createRoute } from '@hono/zod-openapi';
import { verify } from '@octokit/webhooks-methods';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { DELIVERY_STATUSES, DeliveryDetailRow, DeliveryRow, DeliveryStore } from '../github/delivery-store';
import { TriageDetailRow, TriageStore, TriageSummaryRow } from '../github/triage-store';
import { jsonShape } from '../db/rows';
import { DeliveryIdSchema, IssuesEventSchema } from '../github/payload';
import type { ApiDeps } from './deps';
import { requireApiToken } from './auth';
import { ApiError, fieldProblems } from './errors';
import { temporalRunLink } from './links';
import { type ApiRoutes, BAD_REQUEST, json, openApiApp, problem, routesOf, security, UNAUTHORIZED } from './openapi';
import { bigintDigits, isJsonType, parseJsonText, storableText } from './request';
import { MAX_WEBHOOK_BYTES, WorkflowStatus, workflowStatus } from './webhooks';
import { triageStateQuery } from '../contracts/triage';

const IssueFilters = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  repository: z
    .string()
    .regex(/^[^/\s\0]+\/[^/\s\0]+$/, 'must be owner/name')
    .optional(),
  action: storableText().pipe(z.string().min(1)).optional(),
  cursor: bigintDigits('must be a cursor returned by a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const EventId = bigintDigits('event id must be a number');

const Nullable = z.string().nullable();
const Accepted = z
  .object({
    event_id: z.string(),
    delivery_id: z.string(),
    status: z.enum(['skipped', 'started']),
    reason: z.string().optional().meta({ description: 'why a delivery is skipped (not an issue event, an action that is not triaged…)' }),
    workflow_id: Nullable,
    run_id: Nullable,
    duplicate: z.boolean(),
    links: z.object({ temporal_run: Nullable }),
    pong: z.literal(true).optional().meta({ description: 'ping deliveries only' }),
    zen: z.string().optional(),
  })
  .meta({ id: 'GithubDeliveryAccepted' });
const DeliverySummary = z.looseObject({ ...jsonShape(DeliveryRow.shape), ...TriageSummaryRow.shape }).meta({ id: 'GithubDelivery' });
const DeliveryDetail = DeliverySummary.extend({
  payload: DeliveryDetailRow.shape.payload.meta({ description: 'the delivery as received' }),
  triage: z
    .looseObject(jsonShape(TriageDetailRow.shape))
    .nullable()
    .meta({ description: 'context, result, usage, the comment URL or why none was posted, labels added, closed' }),
  workflow: WorkflowStatus.nullable(),
  live: z
    .unknown()
    .meta({ description: "a running triage's phase, turns and tokens so far; null once finished or when Temporal cannot say" }),
}).meta({ id: 'GithubDeliveryDetail' });
const Counts = z.record(z.string(), z.number().int());

// Documented only: the handler reads the raw body itself, since the signature is over its exact bytes.
const receiveDoc = createRoute({
  method: 'post',
  path: '/issues',
  tags: ['GitHub webhooks'],
  security: security.githubSignature,
  summary: 'Receive a GitHub webhook delivery',
  description:
    'Set the repository or organisation webhook to this URL with a secret (GITHUB_WEBHOOK_SECRET), content type ' +
    'application/json or application/x-www-form-urlencoded, and the Issues event. Opened and reopened issues, and issues given ' +
    'the trigger label, start a triage; other deliveries are stored and skipped. A redelivery answers with the original ids.',
  request: {
    headers: z.object({
      'X-GitHub-Event': z.string().meta({ description: 'issues, ping, …', example: 'issues' }),
      'X-GitHub-Delivery': z.string().meta({ description: 'the delivery GUID; it names the triage workflow' }),
    }),
    body: {
      required: true,
      description: `at most ${MAX_WEBHOOK_BYTES} bytes; the signature covers the raw bytes`,
      content: {
        'application/json': {
          schema: IssuesEventSchema.meta({
            id: 'GithubIssuesEvent',
            description: 'the fields Rayne reads; the rest is stored as received',
          }),
        },
        'application/x-www-form-urlencoded': { schema: z.object({ payload: z.string().meta({ description: 'the same JSON' }) }) },
      },
    },
  },
  responses: {
    200: json(Accepted, 'a ping, a skipped delivery, or a redelivery'),
    202: json(Accepted, 'stored, and Temporal accepted the triage workflow'),
    400: problem('missing X-GitHub-Event or X-GitHub-Delivery, or an invalid payload (`details` names the fields)'),
    401: problem('X-Hub-Signature-256 is missing or does not match'),
    413: problem(`the body is over ${MAX_WEBHOOK_BYTES} bytes`),
    415: problem('the body is neither JSON nor form-encoded'),
    422: problem('stored as rejected: Temporal refuses the triage start as it is; retrying cannot help'),
    503: problem(
      'GITHUB_WEBHOOK_SECRET is not set (nothing is accepted), or Temporal did not accept the start (Retry-After; retrying is safe)',
      true,
    ),
  },
});

const route = routesOf('GitHub webhooks', security.apiToken);
const EventIdParam = z.object({ id: EventId });
const listDeliveries = route({
  method: 'get',
  path: '/issues',
  summary: 'List deliveries and their triage',
  description: 'Newest first; pass next_cursor as cursor for the next page.',
  request: { query: IssueFilters },
  responses: {
    200: json(z.object({ events: z.array(DeliverySummary), next_cursor: Nullable }), 'a page of deliveries'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
  },
});
const deliveryStats = route({
  method: 'get',
  path: '/issues/stats',
  summary: 'Delivery and triage totals',
  responses: {
    200: json(
      z.object({
        total: z.number().int(),
        last_24h: z.number().int(),
        triaged: z.number().int(),
        comments_posted: z.number().int(),
        closed_as_duplicate: z.number().int(),
        failed: z.number().int(),
        estimated_cost_usd: z.number(),
        by_status: Counts,
        by_event: Counts,
        by_action: Counts,
        by_kind: Counts,
      }),
      'totals',
    ),
    401: UNAUTHORIZED,
  },
});
const showDelivery = route({
  method: 'get',
  path: '/issues/{id}',
  summary: 'Show a delivery',
  request: { params: EventIdParam },
  responses: {
    200: json(DeliveryDetail, 'the delivery, its payload and triage, and live workflow status'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: problem('no delivery with that id'),
  },
});

/** The delivery's JSON: the body, or its `payload` field when the webhook is set to send form data. */
function deliveryPayload(c: Context, text: string): Record<string, unknown> {
  const type = c.req.header('content-type') ?? '';
  let json: string | null = text;
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) json = new URLSearchParams(text).get('payload');
  else if (!isJsonType(type)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type must be application/json or application/x-www-form-urlencoded (got "${type || 'none'}")`,
    );
  }
  if (json === null) throw new ApiError('BAD_REQUEST', 'form body has no payload field');
  const value = parseJsonText(json, 'payload');
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ApiError('BAD_REQUEST', 'payload must be a JSON object');
}

/** GitHub issue webhooks (HMAC-signed, never unsigned) and what Rayne made of them. */
export const githubRoutes = ({ githubIntake, db, temporal, auth, config, metrics }: ApiDeps): ApiRoutes => {
  const deliveries = new DeliveryStore(db);
  const triages = new TriageStore(db);
  /** The deliveries, each with its triage's headline. */
  const withTriage = async <D extends { workflow_id: string | null }>(rows: D[]) => {
    const summaries = await triages.summaries(rows.map((d) => d.workflow_id));
    return rows.map((d) => ({ ...d, ...summaries.get(d.workflow_id)! }));
  };
  const receive = openApiApp();
  receive.openAPIRegistry.registerPath(receiveDoc);
  receive.post(
    '/issues',
    // First in the chain, so it sees every answer: the error handler has already turned errors into responses.
    async (c, next) => {
      await next();
      metrics.webhookAnswered('github', c.res.status);
    },
    async (_c, next) => {
      // Checked before reading the body: without a secret nothing can be verified, so nothing is accepted.
      if (!config.GITHUB_WEBHOOK_SECRET) {
        throw new ApiError(
          'SERVICE_UNAVAILABLE',
          "GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET to the webhook's secret (unsigned deliveries are never accepted)",
        );
      }
      await next();
    },
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: () => {
        throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
      },
    }),
    async (c) => {
      const text = await c.req.text();
      const signature = c.req.header('x-hub-signature-256');
      if (!signature) throw new ApiError('UNAUTHORIZED', 'missing X-Hub-Signature-256: configure the webhook with a secret');
      if (!(await verify(config.GITHUB_WEBHOOK_SECRET!, text, signature).catch(() => false))) {
        throw new ApiError('UNAUTHORIZED', 'X-Hub-Signature-256 does not match the body signed with GITHUB_WEBHOOK_SECRET');
      }
      const event = c.req.header('x-github-event');
      if (!event) throw new ApiError('BAD_REQUEST', 'missing X-GitHub-Event header');
      const deliveryId = DeliveryIdSchema.safeParse(c.req.header('x-github-delivery') ?? '');
      if (!deliveryId.success) throw new ApiError('BAD_REQUEST', 'missing or malformed X-GitHub-Delivery header');
      const payload = deliveryPayload(c, text);
      let issues;
      if (event === 'issues') {
        const parsed = IssuesEventSchema.safeParse(payload);
        if (!parsed.success) throw new ApiError('BAD_REQUEST', 'invalid issues payload', fieldProblems(parsed.error));
        issues = parsed.data;
      }
      // Temporal away (503) or a start refused for good (422) is answered by the error handler.
      const accepted = await githubIntake.accept({ deliveryId: deliveryId.data, event, payload, issues });
      if (accepted.duplicate) metrics.webhooksDuplicated.inc({ source: 'github' });
      const result = {
        ...accepted,
        links: { temporal_run: accepted.workflow_id ? temporalRunLink(config, accepted.workflow_id, accepted.run_id) : null },
      };
      if (event === 'ping') return c.json({ pong: true, zen: typeof payload.zen === 'string' ? payload.zen : undefined, ...result }, 200);
      return c.json(result, accepted.status === 'started' && !accepted.duplicate ? 202 : 200);
    },
  );

  const reads = openApiApp();
  reads.use(requireApiToken(auth));
  reads
    .openapi(listDeliveries, async (c) => {
      const f = c.req.valid('query');
      const rows = await withTriage(await deliveries.list(f));
      const page = rows.slice(0, f.limit);
      return c.json({ events: page, next_cursor: rows.length > f.limit ? page[page.length - 1]!.id : null }, 200);
    })
    .openapi(deliveryStats, async (c) => {
      const { byStatus, byEvent, byAction, ...totals } = await deliveries.stats();
      const { byKind, ...triage } = await triages.stats();
      return c.json(
        {
          ...totals,
          ...triage,
          by_status: { ...Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])), ...byStatus },
          by_event: byEvent,
          by_action: byAction,
          by_kind: byKind,
        },
        200,
      );
    })
    .openapi(showDelivery, async (c) => {
      const { id } = c.req.valid('param');
      const found = await deliveries.find(id);
      if (!found) throw new ApiError('NOT_FOUND', `no GitHub event ${id}`);
      const { payload, ...delivery } = found;
      const [summary] = await withTriage([delivery]);
      const event = { ...summary!, payload };
      const workflowId = event.workflow_id;
      const triage = workflowId ? await triages.detail(workflowId) : undefined;
      const live =
        workflowId && triage?.status === 'running'
          ? await temporal.connection
              .withDeadline(Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS, () =>
                temporal.workflow.getHandle(workflowId).query(triageStateQuery),
              )
              .catch(() => undefined)
          : undefined;
      return c.json(
        {
          ...event,
          triage: triage ?? null,
          workflow: event.workflow_id
            ? await workflowStatus(temporal, event.workflow_id, event.run_id, config.RAYNE_TEMPORAL_TIMEOUT_MS)
            : null,
          live: live ?? null,
        },
        200,
      );
    });

  return openApiApp().route('/', receive).route('/', reads);
};
