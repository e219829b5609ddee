import crypto from 'node:crypto';
import { z } from 'zod';
import type { AlertSource } from '../contracts/alert';
import { type IncomingAlert, modelPayload, sourceMonitorId } from './alert';
import { canonicalJson } from './datadog-payload';
import { boundedKey, MAX_KEY_BYTES } from './storable';

// Years 1 to 9999: what both a JavaScript ISO string and Postgres timestamptz can carry.
const EARLIEST_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
// Alertmanager's endsAt for a firing alert that has no end yet.
const NO_END_MS = EARLIEST_MS;

const Time = z.string().refine((v) => {
  const ms = Date.parse(v);
  return ms >= EARLIEST_MS && ms <= LATEST_MS;
}, 'must be an RFC 3339 date-time in the years 1 to 9999');
const Labels = z.record(z.string(), z.string());
const Url = z.string().optional();

const PrometheusAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved'], { message: 'must be "firing" or "resolved"' }),
  labels: Labels.refine((l) => !!l.alertname?.trim(), 'must have a non-empty alertname label'),
  annotations: Labels.optional(),
  startsAt: Time,
  endsAt: Time.optional(),
  generatorURL: Url,
  fingerprint: z.string().optional(),
});

/**
 * Alertmanager's webhook payload (version "4") and Grafana alerting's (version "1", the same shape
 * plus orgId, values, silenceURL, imageURL…); one schema, with version telling the two apart.
 */
export const PrometheusWebhookSchema = z.looseObject({
  version: z.enum(['4', '1'], { message: 'must be "4" (Alertmanager) or "1" (Grafana)' }).optional(),
  receiver: z.string().optional(),
  status: z.enum(['firing', 'resolved'], { message: 'must be "firing" or "resolved"' }).optional(),
  alerts: z.array(PrometheusAlertSchema).min(1, 'must list at least one alert'),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  commonAnnotations: Labels.optional(),
  externalURL: Url,
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
});
export type PrometheusWebhook = z.output<typeof PrometheusWebhookSchema>;
type PrometheusAlert = PrometheusWebhook['alerts'][number];

/** The source a payload is from: its version's, else the route's (Alertmanager has always sent "4"). */
export const sourceOfVersion = (version: PrometheusWebhook['version'], route: 'alertmanager' | 'grafana'): AlertSource =>
  version === '4' ? 'alertmanager' : version === '1' ? 'grafana' : route;

/** host:port as Prometheus's instance label has it, without the port: the host Datadog and people know. */
const hostOf = (instance: string | undefined) => instance?.replace(/:\d+$/, '') || undefined;

/** The labels but alertname, sorted, as k:v,k:v: one incident per rule and label set, readable in its id. */
function labelScope(labels: Record<string, string>): string {
  const scope = Object.keys(labels)
    .filter((k) => k !== 'alertname')
    .sort()
    .map((k) => `${k}:${labels[k]}`)
    .join(',');
  return scope || '*';
}

/**
 * Each alert of a delivery as one transition of its incident: firing is Alert, resolved is OK; the
 * incident is the rule (alertname) and its other labels. Deduplicated on fingerprint, startsAt and
 * status, so Alertmanager's repeat notifications of a firing alert store it once. The raw body is
 * the delivery with only that alert in it, itself a valid payload of its source.
 */
export function alertsFromPrometheus(
  delivery: PrometheusWebhook,
  raw: { alerts: unknown[] } & Record<string, unknown>,
  rawBody: string,
  route: 'alertmanager' | 'grafana',
): IncomingAlert[] {
  const source = sourceOfVersion(delivery.version, route);
  return delivery.alerts.map((alert, i) => {
    const body = delivery.alerts.length === 1 ? rawBody : JSON.stringify({ ...raw, alerts: [raw.alerts[i]] });
    return fromPrometheusAlert(source, alert, body);
  });
}

function fromPrometheusAlert(source: AlertSource, alert: PrometheusAlert, rawBody: string): IncomingAlert {
  const { labels, annotations = {} } = alert;
  const alertname = labels.alertname!;
  // Both always send a fingerprint of the label set; one made the same way stands in if a sender does not.
  const fingerprint = alert.fingerprint || crypto.createHash('sha256').update(canonicalJson(labels)).digest('hex').slice(0, 16);
  const resolved = alert.status === 'resolved';
  const ended = alert.endsAt !== undefined && Date.parse(alert.endsAt) > NO_END_MS;
  const model = {
    source,
    monitorId: sourceMonitorId(source, alertname),
    scope: labelScope(labels),
    status: resolved ? ('OK' as const) : ('Alert' as const),
    alertId: fingerprint,
    monitorName: alertname,
    hostname: labels.hostname || labels.host || hostOf(labels.instance),
    service: labels.service || labels.job || undefined,
    eventTime: new Date(Date.parse(resolved && ended ? alert.endsAt! : alert.startsAt)).toISOString(),
  };
  return {
    ...model,
    dedup: { kind: source, id: boundedKey(`${fingerprint}:${alert.startsAt}:${alert.status}`, MAX_KEY_BYTES) },
    payload: modelPayload(model, {
      title: annotations.summary || annotations.title || alertname,
      message: annotations.description || annotations.message,
      tags: Object.entries(labels).map(([k, v]) => `${k}:${v}`),
      link: alert.generatorURL || undefined,
      priority: labels.severity || labels.priority,
    }),
    rawBody,
  };
}
