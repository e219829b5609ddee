/**
 * The payload Datadog's webhooks integration sends to Rayne: the old server's fields, filled by
 * Datadog's template variables ($ALERT_ID is the monitor id; $ID is the event id, unique per transition).
 */
export const RAYNE_WEBHOOK_PAYLOAD: Record<string, string> = {
  alert_id: '$ALERT_ID',
  alert_title: '$ALERT_TITLE',
  alert_message: '$EVENT_MSG',
  alert_status: '$ALERT_TRANSITION',
  monitor_id: '$ALERT_ID',
  monitor_type: '$ALERT_TYPE',
  tags: '$TAGS',
  timestamp: '$DATE',
  event_type: '$EVENT_TYPE',
  priority: '$PRIORITY',
  hostname: '$HOSTNAME',
  scope: '$ALERT_SCOPE',
  transition_id: '$ID',
  last_updated: '$LAST_UPDATED',
  snapshot_url: '$SNAPSHOT',
  link: '$LINK',
  org_id: '$ORG_ID',
  org_name: '$ORG_NAME',
};

/** The receive URL Datadog should call for an account (the default route when no account is named). */
export function receiveUrl(publicUrl: string, account?: string): string {
  const base = `${publicUrl.replace(/\/+$/, '')}/v1/webhooks/receive`;
  return account ? `${base}/${encodeURIComponent(account)}` : base;
}
