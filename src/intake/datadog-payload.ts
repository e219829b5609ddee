import crypto from 'node:crypto';
import { z } from 'zod';
import { ALERT_STATUSES, type AlertStatus } from '../contracts/alert';
import type { IncomingAlert } from './alert';
import { boundedKey, MAX_KEY_BYTES, storableJson } from './storable';

// Datadog's $ALERT_TRANSITION words, and case variants, mapped onto the four states.
const STATUS_ALIASES: Record<string, AlertStatus> = {
  alert: 'Alert',
  triggered: 'Alert',
  're-triggered': 'Alert',
  error: 'Alert',
  warn: 'Warn',
  warning: 'Warn',
  're-warn': 'Warn',
  'warn recovered': 'Warn',
  'no data': 'No Data',
  nodata: 'No Data',
  no_data: 'No Data',
  ok: 'OK',
  recovered: 'OK',
  success: 'OK',
};

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

// Datadog templates send ids quoted or bare; one string form keeps dedup keys and workflow ids equal.
// Blank values mean "absent": Datadog fills unknown template variables with "" (no host for a service monitor).
const Id = z.preprocess(blankToUndefined, z.union([z.string().trim(), z.number().int()]).transform(String).optional());
// Datadog's ids are 64-bit integers: at most 20 digits.
const NumericId = z.preprocess(
  blankToUndefined,
  z
    .union([
      z
        .string()
        .trim()
        .regex(/^\d{1,20}$/, 'must be a number of at most 20 digits'),
      z.number().int().nonnegative(),
    ])
    .transform(String),
);
const Text = z.preprocess(blankToUndefined, z.union([z.string(), z.number(), z.boolean()]).transform(String).optional());

// Years 1 to 9999: what both a JavaScript ISO string and Postgres timestamptz can carry.
const EARLIEST_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');

// Seconds or milliseconds since the epoch, as number or string, or an ISO date.
const Timestamp = z.preprocess(
  blankToUndefined,
  z
    .union([z.number(), z.string().trim()])
    .transform((value, ctx) => {
      const numeric = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
      const ms = numeric === undefined ? Date.parse(value as string) : numeric < 1e11 ? numeric * 1000 : numeric;
      if (!(ms >= EARLIEST_MS && ms <= LATEST_MS)) {
        ctx.addIssue({ code: 'custom', message: 'must be unix seconds, unix milliseconds or an ISO date, in the years 1 to 9999' });
        return z.NEVER;
      }
      return new Date(ms).toISOString();
    })
    .optional(),
);

// Tags arrive as a JSON array or as Datadog's comma-separated $TAGS string.
const Tags = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',') : v),
  z.array(z.string()).transform((tags) => tags.map((t) => t.trim()).filter(Boolean)),
);

// Markdown bodies come wrapped in %%% markers; the text between them is what people wrote.
const Body = z.preprocess((v) => (typeof v === 'string' ? v.replace(/^\s*%%%\s*/, '').replace(/\s*%%%\s*$/, '') : v), Text);

const Status = z.preprocess(
  (v) => (typeof v === 'string' ? (STATUS_ALIASES[v.trim().toLowerCase()] ?? v) : v),
  z.enum(ALERT_STATUSES, { message: `must be one of ${ALERT_STATUSES.map((s) => `"${s}"`).join(', ')}` }),
);

const CUSTOM_FIELDS = [
  'ALERT_STATE',
  'ALERT_TITLE',
  'APPLICATION_LONGNAME',
  'APPLICATION_TEAM',
  'DETAILED_DESCRIPTION',
  'IMPACT',
  'METRIC',
  'SUPPORT_GROUP',
  'THRESHOLD',
  'VALUE',
  'URGENCY',
] as const;

/** The old server's webhook payload: standard Datadog fields plus the Terraform custom fields. */
export const DatadogAlertSchema = z.looseObject({
  alert_id: Id.optional(),
  alert_title: Text.optional(),
  alert_message: Body.optional(),
  alert_status: Status,
  monitor_id: NumericId,
  monitor_name: Text.optional(),
  monitor_type: Text.optional(),
  tags: Tags.optional(),
  timestamp: Timestamp.optional(),
  event_type: Text.optional(),
  priority: Text.optional(),
  hostname: Text.optional(),
  service: Text.optional(),
  scope: Text.optional(),
  transition_id: Id.optional(),
  last_updated: Timestamp.optional(),
  snapshot_url: Text.optional(),
  link: Text.optional(),
  org_id: Id.optional(),
  org_name: Text.optional(),
  ...(Object.fromEntries(CUSTOM_FIELDS.map((f) => [f, Text.optional()])) as Record<
    (typeof CUSTOM_FIELDS)[number],
    z.ZodOptional<typeof Text>
  >),
});

export type DatadogAlert = z.output<typeof DatadogAlertSchema>;

/** JSON with object keys sorted at every level, so equal payloads hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A Datadog alert in the model. Its dedup id is alert_id + transition_id when Datadog sent both,
 * else a hash of the canonical raw payload; its payload is the one received (the model's field names are Datadog's).
 */
export function fromDatadog(received: DatadogAlert, raw: Record<string, unknown>, rawBody?: string): IncomingAlert {
  const alert = storableJson(received);
  return {
    source: 'datadog',
    // Bounded: the key is a unique index entry, and Postgres refuses entries over about 2.7 KB.
    dedup:
      alert.alert_id && alert.transition_id
        ? { kind: 'dd', id: boundedKey(`${alert.alert_id}:${alert.transition_id}`, MAX_KEY_BYTES) }
        : { kind: 'sha256', id: crypto.createHash('sha256').update(canonicalJson(raw)).digest('hex') },
    monitorId: alert.monitor_id,
    scope: incidentScope(alert),
    status: alert.alert_status,
    alertId: alert.alert_id,
    transitionId: alert.transition_id,
    monitorName: alert.monitor_name,
    hostname: alert.hostname,
    service: serviceOf(alert),
    eventTime: alert.timestamp,
    orgId: alert.org_id,
    payload: raw,
    rawBody,
  };
}

/** The scope an incident is tracked under: Datadog's scope, else the host, else the whole monitor. */
function incidentScope(alert: DatadogAlert): string {
  return alert.scope?.trim() || (alert.hostname ? `host:${alert.hostname}` : '*');
}

/** The service a payload names, from the field or a service: tag. */
function serviceOf(alert: DatadogAlert): string | undefined {
  return alert.service ?? alert.tags?.find((t) => t.startsWith('service:'))?.slice('service:'.length);
}
