import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { IncomingAlert } from '../intake/alert';
import type { AcceptResult, Intake } from '../intake/intake';
import {
  fromPagerDuty,
  ignoredPagerDutyEvent,
  PagerDutyIncidentEventSchema,
  pagerDutySignatureMatches,
  PagerDutyWebhookSchema,
} from '../intake/pagerduty-payload';
import { alertsFromPrometheus, PrometheusWebhookSchema } from '../intake/prometheus-payload';
import { StartRejectedError } from '../intake/workflow-starts';
import type { WebhookSource } from '../telemetry/metrics';
import type { ApiDeps } from './deps';
import { requireWebhookSecret } from './auth';
import { ApiError, fieldProblems } from './errors';
import { type ApiRoutes, BAD_REQUEST, json, jsonRequest, openApiApp, problem, security, UNSUPPORTED_MEDIA_TYPE } from './openapi';
import { readJson } from './request';
import { Accepted, acceptedView, MAX_WEBHOOK_BYTES, pathAccountOf, webhookBodyLimit } from './webhooks';

// PagerDuty disables a subscription whose deliveries keep going unanswered within 5 s: the first
// start gets 3 s of it, and an event Temporal did not take in time is kept and started later.
const PAGERDUTY_START_TIMEOUT_MS = 3000;

const TAG = 'Alert sources';
const AlertsAccepted = z
  .object({
    events: z.array(Accepted).meta({ description: 'one per alert in the delivery, in its order' }),
    truncated_alerts: z
      .number()
      .int()
      .optional()
      .meta({ description: 'alerts Alertmanager left out of the delivery (its max_alerts); they are not stored' }),
  })
  .meta({ id: 'AlertsAccepted' });
const PagerDutyIgnored = z
  .object({ status: z.literal('ignored'), reason: z.string() })
  .meta({ id: 'PagerDutyIgnored', description: 'an event that is not an incident transition (a ping, a note…): answered, not stored' });

const ACCOUNT_PARAM = z.object({ account: z.string().meta({ description: 'the account; without it, the default' }) });
const TEMPORAL_ANSWERS = {
  422: problem(
    'stored as rejected: Temporal refuses the start as it is; a redelivery answers 422 again, naming POST /v1/webhooks/events/{id}/retry',
  ),
  502: problem("Temporal refuses Rayne's setup; the events are kept and started once it is fixed"),
  503: problem('Temporal did not accept a start; the events are kept and started later, so retrying is safe', true),
};

const prometheusDoc = (source: 'alertmanager' | 'grafana', account: boolean) =>
  createRoute({
    method: 'post',
    path: account ? `/${source}/{account}` : `/${source}`,
    tags: [TAG],
    security: security.alertWebhookSecret,
    summary: source === 'alertmanager' ? 'Receive an Alertmanager webhook' : 'Receive a Grafana alerting webhook',
    description:
      (source === 'alertmanager'
        ? "Alertmanager's webhook_configs payload (version 4). "
        : "Grafana alerting's webhook contact point payload (version 1: Alertmanager's shape plus orgId, values, silenceURL, imageURL…). ") +
      'Both paths take both payloads, told apart by version. Each alert is stored and starts or signals its incident workflow before the answer: ' +
      'firing is an Alert transition, resolved is OK, and the incident is the alertname with the other labels (incident/{account}/' +
      `${source}:{alertname}/{label:value,…}). An alert already stored (same fingerprint, startsAt and status) answers with its original ids. ` +
      'The delivery with only that alert is kept as its raw body.',
    request: {
      ...(account ? { params: ACCOUNT_PARAM } : {}),
      body: jsonRequest(PrometheusWebhookSchema.meta({ id: 'PrometheusWebhook' }), `at most ${MAX_WEBHOOK_BYTES} bytes`),
    },
    responses: {
      200: json(AlertsAccepted, 'every alert was already stored: the original ids, nothing changed'),
      202: json(AlertsAccepted, 'stored, and Temporal accepted each start or signal'),
      400: BAD_REQUEST,
      401: problem(
        "the account has its own webhook_auth and the request's bearer token or basic auth does not match it; or it has none, RAYNE_WEBHOOK_SECRET is set and neither the bearer token, the basic-auth password nor X-Rayne-Token matches",
      ),
      404: problem('no account by that name'),
      413: problem(`the body is over ${MAX_WEBHOOK_BYTES} bytes`),
      415: UNSUPPORTED_MEDIA_TYPE,
      ...TEMPORAL_ANSWERS,
    },
  });

const pagerDutyDoc = (account: boolean) =>
  createRoute({
    method: 'post',
    path: account ? '/pagerduty/{account}' : '/pagerduty',
    tags: [TAG],
    security: security.pagerDutySignature,
    summary: 'Receive a PagerDuty V3 webhook',
    description:
      "Set a V3 webhook subscription to this URL and the account's pagerduty_signing_secret (or PAGERDUTY_WEBHOOK_SECRET) to its signing secret. incident.triggered, reopened, " +
      'acknowledged and unacknowledged are Alert transitions (an acknowledgement keeps the incident open), incident.resolved is OK; ' +
      'one incident per PagerDuty incident (incident/{account}/pagerduty:{service id}/incident:{id}). Other events answer 200 as ignored. ' +
      'A redelivery (same X-Webhook-Id) answers with the original ids. Answered within 5 s: a start Temporal does not take in 3 s is kept and started later.',
    request: {
      ...(account ? { params: ACCOUNT_PARAM } : {}),
      headers: z.object({
        'X-Webhook-Id': z.string().meta({ description: 'the delivery id; PagerDuty keeps it across retries' }),
      }),
      body: jsonRequest(
        PagerDutyWebhookSchema.meta({ id: 'PagerDutyWebhook', description: 'the fields Rayne reads; the rest is kept in the raw body' }),
        `at most ${MAX_WEBHOOK_BYTES} bytes; the signature covers the raw bytes`,
      ),
    },
    responses: {
      200: json(z.union([Accepted, PagerDutyIgnored]), 'a redelivery (the original ids), or an event that is not a transition (ignored)'),
      202: json(Accepted, 'stored, and Temporal accepted the start or signal'),
      400: BAD_REQUEST,
      401: problem('X-PagerDuty-Signature is missing or no v1 signature in it matches'),
      404: problem('no account by that name'),
      413: problem(`the body is over ${MAX_WEBHOOK_BYTES} bytes`),
      415: UNSUPPORTED_MEDIA_TYPE,
      ...TEMPORAL_ANSWERS,
      503: problem(
        "neither the account's pagerduty_signing_secret nor PAGERDUTY_WEBHOOK_SECRET is set (unsigned deliveries are never accepted); or Temporal did not accept the start",
        true,
      ),
    },
  });

/**
 * Accepts a delivery's alerts in order. One Temporal refuses for good does not hold back the rest
 * (it would be refused again on every redelivery) and is answered after them; Temporal away stops
 * the delivery at once, the rest arriving again with the sender's retry.
 */
async function acceptAll(intake: Intake, account: string | undefined, alerts: IncomingAlert[]): Promise<AcceptResult[]> {
  const results: AcceptResult[] = [];
  let rejected: StartRejectedError | undefined;
  for (const alert of alerts) {
    try {
      results.push(await intake.accept(account, alert));
    } catch (err) {
      if (!(err instanceof StartRejectedError)) throw err;
      rejected ??= err;
    }
  }
  if (rejected) throw rejected;
  return results;
}

/** Alertmanager, Grafana and PagerDuty webhooks: each alert stored as the same event a Datadog alert is. */
export const alertSourceRoutes = ({ intake, accounts, config, metrics }: ApiDeps): ApiRoutes => {
  const receive = openApiApp();
  // The account's own secrets, looked up as the intake routes it: the path's account, else the default.
  const ownSecrets = async (c: Context) => {
    const account = pathAccountOf(c) ?? (await accounts.routeByOrg(undefined));
    return account ? accounts.webhookSecrets(account) : undefined;
  };
  // Asked before the body is read (no secret at all: 503), and again where the signature is verified.
  const pagerDutySecretOf = async (c: Context) => (await ownSecrets(c))?.pagerduty ?? config.PAGERDUTY_WEBHOOK_SECRET;
  for (const doc of [
    prometheusDoc('alertmanager', false),
    prometheusDoc('alertmanager', true),
    prometheusDoc('grafana', false),
    prometheusDoc('grafana', true),
    pagerDutyDoc(false),
    pagerDutyDoc(true),
  ])
    receive.openAPIRegistry.registerPath(doc);

  // First in the chain, so it sees every answer: the error handler has already turned errors into responses.
  const counted =
    (source: WebhookSource): MiddlewareHandler =>
    async (c, next) => {
      await next();
      metrics.webhookAnswered(source, c.res.status);
    };

  for (const source of ['alertmanager', 'grafana'] as const) {
    receive.post(
      `/${source}/:account?`,
      counted(source),
      requireWebhookSecret(config.RAYNE_WEBHOOK_SECRET, async (c) => (await ownSecrets(c))?.webhook),
      webhookBodyLimit,
      async (c) => {
        const account = pathAccountOf(c);
        const { value, raw, text } = await readJson(c, PrometheusWebhookSchema);
        const alerts = alertsFromPrometheus(value, raw as Parameters<typeof alertsFromPrometheus>[1], text, source);
        // An unknown account (404), Temporal away (503) or a start refused for good (422) is answered by the error handler.
        const results = await acceptAll(intake, account, alerts);
        const duplicates = results.filter((r) => r.duplicate).length;
        if (duplicates) metrics.webhooksDuplicated.inc({ source }, duplicates);
        const events = results.map((r) => acceptedView(config, r));
        const body = { events, ...(value.truncatedAlerts ? { truncated_alerts: value.truncatedAlerts } : {}) };
        return c.json(body, duplicates === results.length ? 200 : 202);
      },
    );
  }

  receive.post(
    '/pagerduty/:account?',
    counted('pagerduty'),
    async (c, next) => {
      // Checked before reading the body: without a secret nothing can be verified, so nothing is accepted.
      if (!(await pagerDutySecretOf(c))) {
        throw new ApiError(
          'SERVICE_UNAVAILABLE',
          "PagerDuty webhooks are off: set PAGERDUTY_WEBHOOK_SECRET, or the account's pagerduty_signing_secret, to the subscription's signing secret (unsigned deliveries are never accepted)",
        );
      }
      await next();
    },
    webhookBodyLimit,
    async (c) => {
      const account = pathAccountOf(c);
      const text = await c.req.text();
      if (!pagerDutySignatureMatches((await pagerDutySecretOf(c))!, text, c.req.header('x-pagerduty-signature')))
        throw new ApiError(
          'UNAUTHORIZED',
          "X-PagerDuty-Signature is missing, or no v1 signature in it matches the body signed with the account's signing secret (else PAGERDUTY_WEBHOOK_SECRET)",
        );
      const webhookId = webhookIdOf(c);
      const { value } = await readJson(c, PagerDutyWebhookSchema);
      const ignored = ignoredPagerDutyEvent(value.event.event_type);
      if (ignored) return c.json({ status: 'ignored' as const, reason: ignored }, 200);
      const incident = PagerDutyIncidentEventSchema.safeParse(value);
      if (!incident.success) throw new ApiError('BAD_REQUEST', 'invalid incident event', fieldProblems(incident.error));
      const result = await intake.accept(
        account,
        fromPagerDuty(webhookId, value, incident.data, text),
        Math.min(config.RAYNE_TEMPORAL_TIMEOUT_MS, PAGERDUTY_START_TIMEOUT_MS),
      );
      if (result.duplicate) metrics.webhooksDuplicated.inc({ source: 'pagerduty' });
      return c.json(acceptedView(config, result), result.duplicate || result.status === 'dead_letter' ? 200 : 202);
    },
  );

  return receive;
};

/** X-Webhook-Id, the dedup key of a PagerDuty delivery; 400 without one. */
function webhookIdOf(c: Context): string {
  const id = c.req.header('x-webhook-id')?.trim();
  if (!id || id.includes('\0'))
    throw new ApiError('BAD_REQUEST', 'missing X-Webhook-Id header', [
      { field: 'X-Webhook-Id', message: 'required: PagerDuty sends it with every delivery, the same on each retry' },
    ]);
  return id;
}
