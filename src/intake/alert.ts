import type { AlertSource, AlertStatus } from '../contracts/alert';
import { boundedKey, MAX_KEY_BYTES } from './storable';

/**
 * One alert transition in Rayne's model, whatever sent it: what a webhook_events row holds and
 * the incident workflow receives. Each source maps its payload onto this; what only that source
 * has stays in the stored raw body.
 */
export interface IncomingAlert {
  source: AlertSource;
  /** Identifies this transition within its source; the intake scopes it by account for the dedup key. */
  dedup: { kind: string; id: string };
  /** The rule or monitor that fired: with scope, it names the incident. */
  monitorId: string;
  scope: string;
  status: AlertStatus;
  alertId?: string;
  transitionId?: string;
  monitorName?: string;
  hostname?: string;
  service?: string;
  /** When the transition happened, as the source says (ISO 8601). */
  eventTime?: string;
  /** Datadog's org id, which routes an alert without an account in its path. */
  orgId?: string;
  /**
   * What readers of the event (processors, prefetch, the console) use: Datadog's payload as received,
   * whose field names are the model's (alert_title, alert_message, tags, link, priority), or another
   * source's alert in those names (see modelPayload).
   */
  payload: Record<string, unknown>;
  /** The delivery's text as received, for forwarding and for the fields only its source has. */
  rawBody?: string;
}

/** The fields of IncomingAlert.payload that readers of an event use, for a source other than Datadog. */
export interface ModelFields {
  title?: string;
  message?: string;
  tags: string[];
  link?: string;
  priority?: string;
}

/** An alert's payload in the model's field names (Datadog's), so readers of the event do not care where it came from. */
export function modelPayload(alert: Omit<IncomingAlert, 'payload' | 'dedup' | 'rawBody'>, fields: ModelFields): Record<string, unknown> {
  const entries = {
    source: alert.source,
    alert_status: alert.status,
    monitor_id: alert.monitorId,
    monitor_name: alert.monitorName,
    alert_title: fields.title,
    alert_message: fields.message,
    hostname: alert.hostname,
    service: alert.service,
    scope: alert.scope,
    tags: fields.tags,
    link: fields.link,
    priority: fields.priority,
    timestamp: alert.eventTime,
  };
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && v !== ''));
}

/** A source's rule name as a monitor id: the source first, so it never equals a Datadog monitor's number. */
export const sourceMonitorId = (source: AlertSource, name: string): string => boundedKey(`${source}:${name}`, MAX_KEY_BYTES);

/** The key one delivery of one transition is stored under: its source's dedup id, scoped by account so two accounts never collide. */
export const alertDedupKey = (account: string, alert: Pick<IncomingAlert, 'dedup'>): string =>
  `${alert.dedup.kind}:${account}:${alert.dedup.id}`;

/**
 * incident/{account}/{monitorId}/{scope}: one workflow per monitor (or rule) and scope. A scope too long
 * or too odd for an id keeps its readable start and gains a hash of the whole (boundedKey).
 */
export const incidentWorkflowId = (account: string, alert: Pick<IncomingAlert, 'monitorId' | 'scope'>): string =>
  `incident/${account}/${alert.monitorId}/${boundedKey(alert.scope, MAX_KEY_BYTES)}`;
