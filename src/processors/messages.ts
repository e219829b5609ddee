import crypto from 'node:crypto';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import type { AlertStatus } from '../contracts/alert';

/** A stored alert event, as the processors see it. */
export interface AlertEvent {
  id: string;
  account: string;
  status: AlertStatus;
  monitorId: string;
  monitorName?: string;
  title?: string;
  message?: string;
  hostname?: string;
  service?: string;
  scope: string;
  priority?: string;
  /** The monitor link Datadog put in the payload, if any. */
  link?: string;
  workflowId: string;
}

export interface AlertLinks {
  monitor?: string;
  event?: string;
  temporalRun?: string;
  rca?: string;
}

export const titleOf = (e: AlertEvent) => e.title ?? e.monitorName ?? `monitor ${e.monitorId}`;

const URGENCY: Record<AlertStatus, 'critical' | 'normal' | 'low'> = { Alert: 'critical', Warn: 'normal', 'No Data': 'normal', OK: 'low' };

/** The notify-server message (title, message, urgency) with the old "[Status] title" format, plus ids and links. */
export function notifyMessage(e: AlertEvent, links: AlertLinks) {
  return {
    title: `[${e.status}] ${titleOf(e)}`,
    message: e.message ?? '',
    urgency: URGENCY[e.status],
    status: e.status,
    monitor_id: e.monitorId,
    host: e.hostname ?? null,
    service: e.service ?? null,
    event_id: e.id,
    links,
  };
}

/** X-Rayne-Signature for a forwarded body: sha256= and the hex HMAC of the exact bytes sent. */
export const forwardSignature = (secret: string, body: string) =>
  `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;

const COLOUR: Record<AlertStatus, string> = { Alert: '#d63b3b', Warn: '#f2a900', 'No Data': '#8a8a8a', OK: '#2eb67d' };
const EMOJI: Record<AlertStatus, string> = {
  Alert: ':red_circle:',
  Warn: ':large_orange_circle:',
  'No Data': ':white_circle:',
  OK: ':large_green_circle:',
};

const linkList = (links: AlertLinks) =>
  [
    links.monitor && `<${links.monitor}|Monitor>`,
    links.event && `<${links.event}|Event>`,
    links.temporalRun && `<${links.temporalRun}|Temporal run>`,
    links.rca && `<${links.rca}|RCA>`,
  ]
    .filter(Boolean)
    .join('  ·  ');

/** Slack Block Kit in a coloured attachment; "flapping" replaces the per-flip page with one notice. */
export function slackMessage(
  e: AlertEvent,
  links: AlertLinks,
  mode: 'transition' | 'flapping',
  flappingDetail = '',
): IncomingWebhookSendArguments {
  const headline = mode === 'flapping' ? `:warning: Flapping: ${titleOf(e)}` : `${EMOJI[e.status]} [${e.status}] ${titleOf(e)}`;
  const fields = [
    `*Monitor*\n${e.monitorName ?? e.monitorId}`,
    `*Scope*\n${e.scope}`,
    ...(e.hostname ? [`*Host*\n${e.hostname}`] : []),
    ...(e.service ? [`*Service*\n${e.service}`] : []),
    ...(e.priority ? [`*Priority*\n${e.priority}`] : []),
  ].map((text) => ({ type: 'mrkdwn' as const, text }));
  const body =
    mode === 'flapping'
      ? `This monitor is flapping (${flappingDetail}). Rayne keeps processing transitions but stops paging on each flip until it settles.`
      : (e.message ?? '').slice(0, 2900);
  return {
    text: headline,
    attachments: [
      {
        color: mode === 'flapping' ? COLOUR.Warn : COLOUR[e.status],
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*` } },
          { type: 'section', fields },
          ...(body ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: body } }] : []),
          ...(linkList(links) ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: linkList(links) }] }] : []),
        ],
      },
    ],
  };
}

/** The marker Rayne writes into a downtime's message, so a retry can find the downtime it already made. */
export const downtimeMarker = (eventId: string) => `[rayne:event:${eventId}]`;

/** An incident group as its one Slack report shows it: the members first to fire first (bounded by the caller). */
export interface GroupNotice {
  memberCount: number;
  services: string[];
  hosts: string[];
  members: Array<{ monitorId: string; monitorName?: string | null; hostname?: string | null; service?: string | null; status: string }>;
  rootCause?: string | null;
  verdict?: string | null;
}

export interface GroupLinks {
  group?: string;
  rca?: string;
  notebook?: string;
}

const GROUP_MEMBERS_LISTED = 10;
const listed = (values: string[]) => (values.length > 5 ? `${values.slice(0, 5).join(', ')} +${values.length - 5}` : values.join(', '));

/**
 * The one Slack message of an incident group: its RCA's report over every member ("report"), or
 * that every member recovered ("resolved"), beside the members' own tier-1 posts.
 */
export function groupSlackMessage(group: GroupNotice, links: GroupLinks, kind: 'report' | 'resolved'): IncomingWebhookSendArguments {
  const where = listed(group.services.length ? group.services : group.hosts) || 'one outage';
  const headline =
    kind === 'resolved'
      ? `${EMOJI.OK} Resolved: ${group.memberCount} grouped alerts on ${where}`
      : `${EMOJI.Alert} ${group.memberCount} alerts, one incident: ${where}`;
  const fields = [
    ...(group.services.length ? [`*Services*\n${listed(group.services)}`] : []),
    ...(group.hosts.length ? [`*Hosts*\n${listed(group.hosts)}`] : []),
    ...(group.verdict ? [`*Verdict*\n${group.verdict}`] : []),
  ].map((text) => ({ type: 'mrkdwn' as const, text }));
  const members = group.members
    .slice(0, GROUP_MEMBERS_LISTED)
    .map(
      (m) =>
        `• [${m.status}] ${m.monitorName ?? `monitor ${m.monitorId}`}${m.service ? ` · ${m.service}` : ''}${m.hostname ? ` · ${m.hostname}` : ''}`,
    );
  if (group.memberCount > members.length) members.push(`… and ${group.memberCount - members.length} more`);
  const linkText = [
    links.group && `<${links.group}|Group>`,
    links.rca && `<${links.rca}|RCA>`,
    links.notebook && `<${links.notebook}|Notebook>`,
  ]
    .filter(Boolean)
    .join('  ·  ');
  const text = (t: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: t.slice(0, 2900) } });
  return {
    text: headline,
    attachments: [
      {
        color: kind === 'resolved' ? COLOUR.OK : COLOUR.Alert,
        blocks: [
          text(`*${headline}*`),
          ...(kind === 'report' && group.rootCause ? [text(`*Root cause*\n${group.rootCause}`)] : []),
          ...(fields.length ? [{ type: 'section' as const, fields }] : []),
          ...(kind === 'report' ? [text(members.join('\n'))] : []),
          ...(linkText ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: linkText }] }] : []),
        ],
      },
    ],
  };
}
