import { verify } from '@octokit/webhooks-methods';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { DeliveryIdSchema, IssuesEventSchema } from '../github/payload';
import { TemporalUnavailableError } from '../intake/intake';
import type { ApiDeps } from './app';
import { requireApiToken } from './auth';
import { ApiError, fieldProblems } from './errors';
import { temporalRunLink } from './links';
import { readQuery } from './request';
import { MAX_WEBHOOK_BYTES, workflowStatus } from './webhooks';

const IssueFilters = z.object({
  status: z.enum(['skipped', 'pending_start', 'started']).optional(),
  repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/name').optional(),
  action: z.string().min(1).optional(),
  cursor: z.string().regex(/^\d+$/, 'must be a cursor returned by a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const EventId = z.string().regex(/^\d+$/, 'event id must be a number');

const SUMMARY = `e.id::text, e.delivery_id, e.event, e.action, e.repository, e.issue_number, e.issue_title, e.issue_url, e.sender,
  e.status, e.skip_reason, e.workflow_id, e.run_id, e.start_attempts, e.last_error, e.received_at, e.started_at,
  t.phase AS triage_phase, t.status AS triage_status, t.result->>'kind' AS kind, (t.result->>'confidence')::float AS confidence, t.comment_url`;

/** The delivery's JSON: the body, or its `payload` field when the webhook is set to send form data. */
function deliveryPayload(c: Context, text: string): Record<string, unknown> {
  const type = c.req.header('content-type') ?? '';
  let json: string | null = text;
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) json = new URLSearchParams(text).get('payload');
  else if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json or application/x-www-form-urlencoded (got "${type || 'none'}")`);
  }
  if (json === null) throw new ApiError('BAD_REQUEST', 'form body has no payload field');
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (err) {
    throw new ApiError('BAD_REQUEST', `payload is not valid JSON: ${(err as Error).message}`);
  }
  throw new ApiError('BAD_REQUEST', 'payload must be a JSON object');
}

/** GitHub issue webhooks (HMAC-signed, never unsigned) and what Rayne made of them. */
export const githubRoutes = ({ githubIntake, db, temporal, config, metrics }: ApiDeps) => {
  const receive = new Hono().post(
    '/issues',
    // First in the chain, so it sees every answer: the error handler has already turned errors into responses.
    async (c, next) => {
      await next();
      metrics.webhookAnswered('github', c.res.status);
    },
    async (_c, next) => {
      // Checked before reading the body: without a secret nothing can be verified, so nothing is accepted.
      if (!config.GITHUB_WEBHOOK_SECRET) {
        throw new ApiError('SERVICE_UNAVAILABLE', 'GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET to the webhook\'s secret (unsigned deliveries are never accepted)');
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
      try {
        const accepted = await githubIntake.accept({ deliveryId: deliveryId.data, event, payload, issues });
        if (accepted.duplicate) metrics.webhooksDuplicated.inc({ source: 'github' });
        const result = { ...accepted, links: { temporal_run: accepted.workflow_id ? temporalRunLink(config, accepted.workflow_id, accepted.run_id) : null } };
        if (event === 'ping') return c.json({ pong: true, zen: typeof payload.zen === 'string' ? payload.zen : undefined, ...result }, 200);
        return c.json(result, accepted.status === 'started' && !accepted.duplicate ? 202 : 200);
      } catch (err) {
        if (err instanceof TemporalUnavailableError) {
          c.header('Retry-After', '10');
          throw new ApiError('SERVICE_UNAVAILABLE', err.message);
        }
        throw err;
      }
    },
  );

  const reads = new Hono()
    .use(requireApiToken(config.RAYNE_API_TOKEN))
    .get('/issues', async (c) => {
      const f = readQuery(c, IssueFilters);
      const { rows } = await db.query(
        `SELECT ${SUMMARY} FROM github_issue_events e LEFT JOIN github_triage t ON t.id = e.workflow_id
          WHERE ($1::text IS NULL OR e.status = $1) AND ($2::text IS NULL OR e.repository = $2)
            AND ($3::text IS NULL OR e.action = $3) AND ($4::bigint IS NULL OR e.id < $4)
          ORDER BY e.id DESC LIMIT $5`,
        [f.status ?? null, f.repository ?? null, f.action ?? null, f.cursor ?? null, f.limit + 1],
      );
      const page = rows.slice(0, f.limit);
      return c.json({ events: page, next_cursor: rows.length > f.limit ? page[page.length - 1].id : null });
    })
    .get('/issues/stats', async (c) => {
      const { rows: [totals] } = await db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE received_at > now() - interval '24 hours')::int AS last_24h FROM github_issue_events`,
      );
      const { rows: [triage] } = await db.query(
        `SELECT count(*)::int AS triaged, count(comment_url)::int AS comments_posted, count(*) FILTER (WHERE closed)::int AS closed_as_duplicate,
                count(*) FILTER (WHERE status = 'failed')::int AS failed,
                coalesce(sum((usage->>'estimatedCostUsd')::numeric), 0)::float AS estimated_cost_usd
           FROM github_triage`,
      );
      const countBy = async (sql: string) => Object.fromEntries((await db.query(sql)).rows.map((r) => [r.k, r.n]));
      return c.json({
        ...totals, ...triage,
        by_status: await countBy('SELECT status AS k, count(*)::int AS n FROM github_issue_events GROUP BY 1'),
        by_event: await countBy('SELECT event AS k, count(*)::int AS n FROM github_issue_events GROUP BY 1'),
        by_action: await countBy(`SELECT action AS k, count(*)::int AS n FROM github_issue_events WHERE event = 'issues' GROUP BY 1`),
        by_kind: await countBy(`SELECT result->>'kind' AS k, count(*)::int AS n FROM github_triage WHERE result IS NOT NULL GROUP BY 1`),
      });
    })
    .get('/issues/:id', async (c) => {
      const id = EventId.safeParse(c.req.param('id'));
      if (!id.success) throw new ApiError('BAD_REQUEST', id.error.issues[0]!.message);
      const { rows: [event] } = await db.query(`SELECT ${SUMMARY}, e.payload FROM github_issue_events e LEFT JOIN github_triage t ON t.id = e.workflow_id WHERE e.id = $1`, [id.data]);
      if (!event) throw new ApiError('NOT_FOUND', `no GitHub event ${id.data}`);
      const { rows: [triage] } = await db.query(
        `SELECT phase, status, analyst, model, result, usage, context, comment_url, comment_note, labels_added, closed, error, created_at, updated_at
           FROM github_triage WHERE id = $1`,
        [event.workflow_id],
      );
      return c.json({
        ...event,
        triage: triage ?? null,
        workflow: event.workflow_id ? await workflowStatus(temporal, event.workflow_id, event.run_id, config.RAYNE_TEMPORAL_TIMEOUT_MS) : null,
      });
    });

  return new Hono().route('/', receive).route('/', reads);
};
