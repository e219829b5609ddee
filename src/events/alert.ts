import type { AlertSource, AlertStatus } from '../contracts/alert';
import { storedTags } from '../groups/rules';
import type { EventRow } from './store';

/**
 * A stored alert event as its readers see it: the incident workflow's transition, the tier-1
 * processors and the RCA each take their fields from this one mapping of the row (alertOf).
 */
export interface StoredAlert {
  id: string;
  account: string;
  source: AlertSource;
  status: AlertStatus;
  monitorId: string;
  monitorName?: string;
  monitorType?: string;
  title?: string;
  message?: string;
  tags: string[];
  priority?: string;
  /** The monitor link the source put in the payload, if any. */
  link?: string;
  hostname?: string;
  service?: string;
  scope: string;
  workflowId: string;
  runId?: string;
  /** ISO time Rayne received the delivery. */
  receivedAt: string;
  /** ISO time the alert fired: the source's own time, else when Rayne received it. */
  alertTime: string;
}

// A blank field says nothing: every reader treats it as absent, the same way.
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The alert a webhook_events row holds; its payload is in the model's field names (see intake/alert.ts). */
export function alertOf(row: EventRow): StoredAlert {
  const p = row.payload;
  return {
    id: row.id,
    account: row.account,
    source: row.source,
    status: row.alert_status,
    monitorId: row.monitor_id,
    monitorName: text(row.monitor_name),
    monitorType: text(p.monitor_type),
    title: text(p.alert_title),
    message: text(p.alert_message),
    tags: storedTags(p.tags),
    priority: text(p.priority),
    link: text(p.link),
    hostname: text(row.hostname),
    service: text(row.service),
    scope: row.scope,
    workflowId: row.workflow_id,
    runId: text(row.run_id),
    receivedAt: row.received_at.toISOString(),
    alertTime: (row.event_time ?? row.received_at).toISOString(),
  };
}
