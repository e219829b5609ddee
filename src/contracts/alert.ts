/** The states an alert transition can report: Datadog's four, onto which every other source maps. */
export const ALERT_STATUSES = ['Alert', 'Warn', 'No Data', 'OK'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Where alerts come from; each becomes the same event, transition and incident (see intake/alert.ts). */
export const ALERT_SOURCES = ['datadog', 'alertmanager', 'grafana', 'pagerduty'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/**
 * Where a stored event is: waiting for Temporal, started, processed by its workflow, or, for good,
 * without a workflow: rejected (Temporal refuses the start as it is) or dead_letter (it kept failing).
 */
export const EVENT_STATUSES = ['pending_start', 'started', 'processed', 'rejected', 'dead_letter'] as const;

/** The states a person may retry an event from (POST /v1/webhooks/events/{id}/retry): its start was refused, or kept failing. */
export const RETRYABLE_STATES = ['rejected', 'dead_letter'] as const;
