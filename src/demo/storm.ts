import { z } from 'zod';
import { RCA_CATEGORIES } from '../analysis/report';
import { fieldPath, missingField, parseScenario, readScenarioJson, type Scenario, ScenarioError, ScenarioSchema } from './scenario';

/** Seconds after the storm's first alert. */
const Offset = z.number().min(0);
const GroupName = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case');

/** One alert of a storm: a Datadog webhook's fields, when it fires, and the true group it belongs to. */
const StormAlert = z.looseObject({
  offset_s: Offset,
  group: GroupName,
  monitor_id: z.number().int().positive(),
  monitor_name: z.string().min(1),
  monitor_type: z.string().min(1).default('metric alert'),
  query: z.string().min(1),
  alert_title: z.string().min(1),
  alert_message: z.string().default(''),
  alert_status: z.enum(['Alert', 'Warn']).default('Alert'),
  service: z.string().min(1).optional(),
  hostname: z.string().min(1).optional(),
  scope: z.string().min(1).optional(),
  tags: z.array(z.string()).default([]),
  priority: z.string().optional(),
});

export const StormSchema = z
  .looseObject({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case'),
    title: z.string().min(1),
    /** The public postmortem the storm is modelled on (a URL and what it is), or why it is synthetic. */
    based_on: z.string().min(1),
    org_name: z.string().min(1),
    /** The true groups: what each is, by the name alerts give in `group`. */
    groups: z.record(GroupName, z.string().min(1)),
    alerts: z.array(StormAlert).min(2),
    root_cause: z.looseObject({
      /** The group whose RCA must name the cause. */
      group: GroupName,
      category: z.enum(RCA_CATEGORIES),
      culprit_terms: z.array(z.string().min(1)).min(1),
      statement: z.string().min(1),
    }),
    /** What Datadog holds around the storm, in a scenario's `datadog` fields less `monitor` (the alerts' monitors are made from them). */
    datadog: ScenarioSchema.shape.datadog.omit({ monitor: true, monitors: true }),
    history: ScenarioSchema.shape.history,
  })
  .superRefine((storm, ctx) => {
    storm.alerts.forEach((alert, i) => {
      if (!(alert.group in storm.groups))
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'group'], message: `"${alert.group}" is not one of groups` });
      if (storm.alerts.findIndex((a) => a.monitor_id === alert.monitor_id) !== i)
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'monitor_id'], message: `${alert.monitor_id} is used by an earlier alert` });
    });
    if (!(storm.root_cause.group in storm.groups))
      ctx.addIssue({ code: 'custom', path: ['root_cause', 'group'], message: `"${storm.root_cause.group}" is not one of groups` });
    else if (!storm.alerts.some((a) => a.group === storm.root_cause.group))
      ctx.addIssue({ code: 'custom', path: ['root_cause', 'group'], message: `no alert is in "${storm.root_cause.group}"` });
  });

export type Storm = z.infer<typeof StormSchema>;
export type StormAlert = z.infer<typeof StormAlert>;

/** A file is a storm, not a single-alert scenario, when it has an `alerts` list. */
export const isStormJson = (json: unknown): boolean =>
  !!json && typeof json === 'object' && Array.isArray((json as { alerts?: unknown }).alerts);

/** Validates parsed JSON as a storm; `source` names it in errors (the scenario loader's words and paths). */
export function parseStorm(json: unknown, source: string): Storm {
  const parsed = StormSchema.safeParse(json, { error: missingField });
  if (!parsed.success)
    throw new ScenarioError(
      source,
      parsed.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`),
    );
  return { ...parsed.data, alerts: [...parsed.data.alerts].sort((a, b) => a.offset_s - b.offset_s) };
}

/** Reads and validates a storm file; alerts come back in firing order. Throws ScenarioError naming the file and each bad field. */
export const loadStorm = (file: string): Storm => parseStorm(readScenarioJson(file), file);

const monitorOf = (alert: StormAlert) => ({
  id: alert.monitor_id,
  name: alert.monitor_name,
  type: alert.monitor_type,
  query: alert.query,
  message: alert.alert_message,
  tags: alert.tags,
  overall_state: alert.alert_status,
});

/** The tags an alert is sent with: its own, and its service's as Datadog adds them. */
const tagsOf = (alert: StormAlert) => [
  ...alert.tags,
  ...(alert.service && !alert.tags.some((t) => t.startsWith('service:')) ? [`service:${alert.service}`] : []),
];

/** The Datadog webhook an alert of the storm sends; `run` keeps its transition ids new on every run. */
export function stormAlertPayload(storm: Storm, alert: StormAlert, run: string): Record<string, unknown> & { transition_id: string } {
  const { offset_s: _offset, group: _group, query: _query, ...fields } = alert;
  return {
    ...fields,
    tags: tagsOf(alert),
    org_name: storm.org_name,
    alert_id: alert.monitor_id,
    transition_id: `${storm.id}-${alert.monitor_id}-${run}`,
    timestamp: Math.floor(Date.now() / 1000),
  };
}

/**
 * The storm as one scenario for the sandbox: its first alert's monitor as the scenario's, every
 * other alert's monitor beside it, the storm's Datadog data, and the root cause as expected.
 */
export function stormScenario(storm: Storm): Scenario {
  const [first, ...rest] = storm.alerts;
  return parseScenario(
    {
      id: storm.id,
      title: storm.title,
      alert: { ...stormAlertPayload(storm, first!, 'seed'), alert_status: first!.alert_status },
      datadog: { ...storm.datadog, monitor: monitorOf(first!), monitors: rest.map(monitorOf) },
      history: storm.history,
      expected: { category: storm.root_cause.category, culprit_terms: storm.root_cause.culprit_terms },
    },
    storm.id,
  );
}
