import crypto from 'node:crypto';
import { z } from 'zod';
import type { AlertStatus } from '../contracts/alert';
import { type IncomingAlert, modelPayload, sourceMonitorId } from './alert';
import { boundedKey, MAX_KEY_BYTES } from './storable';

/**
 * The incident events that are transitions of a PagerDuty incident: open until resolved. An
 * acknowledgement keeps it open (a repeat of Alert: no new RCA, and tier-1 skips it under
 * run_on state_changes).
 */
const STATUS_OF_EVENT: Readonly<Record<string, AlertStatus>> = {
  'incident.triggered': 'Alert',
  'incident.reopened': 'Alert',
  'incident.acknowledged': 'Alert',
  'incident.unacknowledged': 'Alert',
  'incident.resolved': 'OK',
};

const Time = z
  .string()
  .refine((v) => Date.parse(v) >= Date.parse('0001-01-01T00:00:00Z') && Date.parse(v) <= Date.parse('9999-12-31T23:59:59.999Z'), {
    message: 'must be an ISO 8601 date-time in the years 1 to 9999',
  });
const Reference = z.looseObject({ id: z.string().min(1), summary: z.string().optional(), html_url: z.string().optional() });

/** A V3 webhook's envelope: every event type has these. */
export const PagerDutyWebhookSchema = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: Time,
  }),
});

export type PagerDutyWebhook = z.output<typeof PagerDutyWebhookSchema>;

/** An incident event Rayne takes as a transition: its data is the incident. */
export const PagerDutyIncidentEventSchema = z.looseObject({
  event: z.looseObject({
    data: z.looseObject({
      id: z.string().min(1),
      title: z.string().optional(),
      html_url: z.string().optional(),
      urgency: z.string().optional(),
      service: Reference,
      priority: Reference.nullable().optional(),
    }),
  }),
});

/** Why an event is not an alert transition, or undefined when it is one. */
export function ignoredPagerDutyEvent(eventType: string): string | undefined {
  return eventType in STATUS_OF_EVENT
    ? undefined
    : `${eventType} is not an incident transition; Rayne takes ${Object.keys(STATUS_OF_EVENT).join(', ')}`;
}

export type PagerDutyIncidentEvent = z.output<typeof PagerDutyIncidentEventSchema>;

/**
 * An incident event as a transition of its incident (one Rayne incident per PagerDuty incident,
 * under its service); deduplicated on X-Webhook-Id, which PagerDuty keeps across retries.
 */
export function fromPagerDuty(
  webhookId: string,
  { event }: PagerDutyWebhook,
  { event: { data } }: PagerDutyIncidentEvent,
  rawBody: string,
): IncomingAlert {
  const model = {
    source: 'pagerduty' as const,
    monitorId: sourceMonitorId('pagerduty', data.service.id),
    scope: `incident:${data.id}`,
    status: STATUS_OF_EVENT[event.event_type]!,
    alertId: data.id,
    transitionId: event.id,
    monitorName: data.service.summary,
    service: data.service.summary,
    eventTime: new Date(Date.parse(event.occurred_at)).toISOString(),
  };
  return {
    ...model,
    dedup: { kind: 'pd', id: boundedKey(webhookId, MAX_KEY_BYTES) },
    payload: modelPayload(model, {
      title: data.title,
      message: `PagerDuty ${event.event_type}`,
      tags: [`service:${data.service.summary ?? data.service.id}`, ...(data.urgency ? [`urgency:${data.urgency}`] : [])],
      link: data.html_url,
      priority: data.priority?.summary ?? data.urgency,
    }),
    rawBody,
  };
}

/**
 * Whether any v1 signature in X-PagerDuty-Signature ("v1=<hex>,v1=<hex>", several while a secret
 * is rotated) is the HMAC-SHA256 of the raw body with the secret; compared in constant time.
 */
export function pagerDutySignatureMatches(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = crypto.createHmac('sha256', secret).update(rawBody).digest();
  let matched = false;
  for (const part of header.split(',')) {
    const hex = part.trim().match(/^v1=([0-9a-f]{64})$/i)?.[1];
    // Every entry is compared, so the time taken does not say which one matched.
    if (hex && crypto.timingSafeEqual(Buffer.from(hex, 'hex'), expected)) matched = true;
  }
  return matched;
}
