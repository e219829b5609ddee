import type { MaterializedMetric, MaterializedScenario, MaterializedSpans, ScenarioHost, ScenarioMonitor } from './scenario';

export interface SandboxMonitor extends ScenarioMonitor {
  /** From the alert's `P1`…`P5`; null when the scenario has none. */
  priority: number | null;
}

export interface SandboxEvent {
  id: number;
  at: Date;
  title: string;
  text: string;
  tags: string[];
  source: string;
  alertType: string;
}

export interface SandboxLog {
  id: string;
  at: Date;
  host: string;
  service: string;
  status: string;
  message: string;
  tags: string[];
  attributes: Record<string, unknown>;
}

/** A notebook's attributes as Datadog shows them (snake_case JSON), beside its id. */
export interface SandboxNotebook {
  id: number;
  attributes: Record<string, unknown> & { name: string; cells: unknown[]; created: string; modified: string };
}

/** A v2 downtime's attributes as Datadog shows them; `status` is worked out when read. */
export interface SandboxDowntime {
  id: string;
  attributes: Record<string, unknown> & { scope: string; canceled: string | null; schedule: Record<string, unknown> };
}

/** A webhook of the Webhooks integration, as Datadog shows it. */
export interface SandboxWebhook {
  name: string;
  url: string;
  payload: string | null;
  custom_headers: string | null;
  encode_as: string;
}

/** Everything the sandbox serves: the scenario's read-only data and what clients created. */
export interface SandboxData {
  alertTime: Date;
  orgId: number;
  monitors: SandboxMonitor[];
  hosts: ScenarioHost[];
  events: SandboxEvent[];
  logs: SandboxLog[];
  metrics: MaterializedMetric[];
  /** APM's service map; empty when the scenario has none. */
  serviceMap: Record<string, string[]>;
  spans: MaterializedSpans[];
  notebooks: Map<number, SandboxNotebook>;
  downtimes: Map<string, SandboxDowntime>;
  webhooks: Map<string, SandboxWebhook>;
  /** The next number for an id the sandbox hands out (notebooks, notebook cells). */
  nextId: number;
}

/** Routes read the current data on every request, so a reseed takes effect at once. */
export type DataSource = () => SandboxData;

/** The user every sandbox object is created by. */
export const SANDBOX_USER = { name: 'Rayne Sandbox', handle: 'sandbox@rayne.invalid', email: 'sandbox@rayne.invalid', id: 1 };

// Ids look like Datadog's in size but are fixed per position, so a reseed gives the same ids.
const FIRST_EVENT_ID = 7_100_000_000;
const FIRST_CREATED_ID = 10_000_001;
const DEFAULT_ORG_ID = 1;

const logId = (at: Date, index: number) => Buffer.from(`sandbox-log:${at.getTime()}:${index}`).toString('base64url');

function priorityOf(alert: Record<string, unknown>): number | null {
  const match = /^P([1-5])$/i.exec(String(alert.priority ?? ''));
  return match ? Number(match[1]) : null;
}

/** Data with nothing in it: what the sandbox serves before it is seeded. */
export function emptySandboxData(alertTime = new Date()): SandboxData {
  return {
    alertTime,
    orgId: DEFAULT_ORG_ID,
    monitors: [],
    hosts: [],
    events: [],
    logs: [],
    metrics: [],
    serviceMap: {},
    spans: [],
    notebooks: new Map(),
    downtimes: new Map(),
    webhooks: new Map(),
    nextId: FIRST_CREATED_ID,
  };
}

/** A JSON message's keys, which Datadog's intake parses into a log's attributes (so `@user_agent:*` finds them). */
function jsonAttributesOf(message: string): Record<string, unknown> {
  if (!message.trimStart().startsWith('{')) return {};
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The sandbox's data for a materialized scenario. Log lines carry their source and their host's tags, as agent logs do, and a JSON message's keys as attributes. */
export function sandboxDataFrom(scenario: MaterializedScenario): SandboxData {
  const hostTags = new Map(scenario.hosts.map((h) => [h.name, h.tags]));
  return {
    ...emptySandboxData(scenario.alertTime),
    orgId: typeof scenario.alert.org_id === 'number' ? scenario.alert.org_id : DEFAULT_ORG_ID,
    // A storm's other monitors share its alert's priority: the sandbox keeps one per scenario.
    monitors: [scenario.monitor, ...scenario.monitors].map((m) => ({ ...m, priority: priorityOf(scenario.alert) })),
    hosts: scenario.hosts,
    events: scenario.events.map((e, i) => ({
      id: FIRST_EVENT_ID + i,
      at: e.at,
      title: e.title,
      text: e.text,
      tags: e.tags,
      source: e.source,
      alertType: e.alert_type,
    })),
    logs: scenario.logs.map((l, i) => ({
      id: logId(l.at, i),
      at: l.at,
      host: l.host,
      service: l.service,
      status: l.status,
      message: l.message,
      tags: [`source:${l.service}`, ...(hostTags.get(l.host) ?? [])],
      attributes: { ...jsonAttributesOf(l.message), ...((l.attributes as Record<string, unknown> | undefined) ?? {}) },
    })),
    metrics: scenario.metrics,
    serviceMap: scenario.serviceMap ?? {},
    spans: scenario.spans,
  };
}
