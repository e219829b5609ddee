import fs from 'node:fs';
import { z } from 'zod';
import { RCA_CATEGORIES } from '../analysis/report';
import { StartupError } from '../errors';

const Id = z.union([z.number().int(), z.string().min(1)]);
const Tags = z.array(z.string()).default([]);
/** Seconds relative to the alert; negative is before it. */
const Offset = z.number();

// Only the fields the sandbox and the evaluation read are checked; the rest is kept as written.
const ScenarioAlert = z.looseObject({
  alert_id: Id.optional(),
  alert_status: z.string().min(1),
  monitor_id: Id,
  tags: Tags,
  timestamp: z.number().optional(),
  last_updated: z.number().optional(),
});

const ScenarioMonitor = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1),
  type: z.string().min(1),
  query: z.string().min(1),
  message: z.string().default(''),
  tags: Tags,
  overall_state: z.enum(['Alert', 'Ignored', 'No Data', 'OK', 'Skipped', 'Unknown', 'Warn']),
});

const ScenarioHost = z.looseObject({
  name: z.string().min(1),
  up: z.boolean().default(true),
  apps: z.array(z.string()).default([]),
  tags: Tags,
  platform: z.string().default('linux'),
  metrics: z.object({ cpu: z.number(), iowait: z.number(), load: z.number() }).optional(),
});

const ScenarioEvent = z.looseObject({
  offset_s: Offset,
  title: z.string().min(1),
  text: z.string().default(''),
  tags: Tags,
  source: z.string().min(1),
  alert_type: z.enum(['error', 'warning', 'info', 'success', 'user_update', 'recommendation', 'snapshot']).default('info'),
});

const ScenarioLog = z.looseObject({
  offset_s: Offset,
  host: z.string().min(1),
  service: z.string().min(1),
  status: z.string().min(1),
  message: z.string(),
  repeat: z.number().int().min(1).default(1),
  every_s: z.number().min(0).default(0),
});

const ScenarioMetric = z.looseObject({
  metric: z.string().min(1),
  scope: z.string().min(1),
  points: z.array(z.tuple([Offset, z.number()])).min(1),
});

/** APM's service map: each service and the services it calls (Datadog's `GET /api/v1/service_dependencies`). */
const ServiceMap = z.record(z.string().min(1), z.array(z.string().min(1)));

/** Per-minute APM traffic of one endpoint; `latency_ms` stands for every latency percentile. */
const SpanRates = z.object({ hits: z.number().min(0), errors: z.number().min(0), latency_ms: z.number().min(0) });

/** One service's resource, its traffic `now` (from `since_s` on) against its `baseline` (before). */
const ScenarioSpans = z
  .object({
    service: z.string().min(1),
    resource: z.string().min(1),
    baseline: SpanRates,
    now: SpanRates,
    since_s: Offset.default(-300),
  })
  .refine((s) => s.now.errors <= s.now.hits && s.baseline.errors <= s.baseline.hits, 'errors cannot exceed hits');

export const ScenarioSchema = z.looseObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case'),
  title: z.string().min(1),
  alert: ScenarioAlert,
  datadog: z.looseObject({
    monitor: ScenarioMonitor,
    hosts: z.array(ScenarioHost).default([]),
    events: z.array(ScenarioEvent).default([]),
    logs: z.array(ScenarioLog).default([]),
    metrics: z.array(ScenarioMetric).default([]),
    /** Other monitors of the account, besides the alert's (a storm's). */
    monitors: z.array(ScenarioMonitor).default([]),
    service_map: ServiceMap.optional(),
    spans: z.array(ScenarioSpans).default([]),
  }),
  history: z
    .array(
      z.looseObject({
        title: z.string(),
        service: z.string(),
        root_cause: z.string(),
        category: z.enum(RCA_CATEGORIES),
      }),
    )
    .default([]),
  expected: z.looseObject({
    category: z.enum(RCA_CATEGORIES),
    culprit_terms: z.array(z.string().min(1)).min(1),
  }),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioMonitor = z.infer<typeof ScenarioMonitor>;
export type ScenarioHost = z.infer<typeof ScenarioHost>;
export type ScenarioSpans = z.infer<typeof ScenarioSpans>;

/**
 * Thrown when a scenario file is missing, is not JSON, or does not fit the format; the message names
 * the file and each bad field. A StartupError, so `rayne demo` and `rayne eval` print it as one clear message.
 */
export class ScenarioError extends StartupError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n${problems.map((p) => `  - ${p}`).join('\n')}`}`);
  }
}

/** `datadog.logs[3].status`, the way the README writes paths. */
export function fieldPath(path: PropertyKey[]): string {
  return (
    path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') ||
    '(root)'
  );
}

// Zod words an absent field as "expected string, received undefined"; other issues keep its message.
export const missingField: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? `missing (expected ${issue.expected})` : undefined;

/** Validates parsed JSON as a scenario; `source` names it in errors. */
export function parseScenario(json: unknown, source: string): Scenario {
  const parsed = ScenarioSchema.safeParse(json, { error: missingField });
  if (!parsed.success)
    throw new ScenarioError(
      source,
      parsed.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`),
    );
  return parsed.data;
}

/** Reads a JSON file, or throws ScenarioError naming it (missing, unreadable, not JSON). */
export function readScenarioJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
}

/** Reads and validates a scenario file. Throws ScenarioError for a missing file, bad JSON or a schema problem. */
export const loadScenario = (file: string): Scenario => parseScenario(readScenarioJson(file), file);

/**
 * The scenario's alert as sent now: timestamped now (the scenario's offsets count from the alert) and
 * with a fresh transition id, so sending it again is a new transition rather than a redelivery.
 */
export function alertToSend(scenario: Scenario, now = Date.now()): Record<string, unknown> & { transition_id: string } {
  return {
    ...scenario.alert,
    timestamp: Math.floor(now / 1000),
    transition_id: `${String(scenario.alert.transition_id ?? scenario.id)}-${now.toString(36)}`,
  };
}

// A key-remapping mapped type, unlike Omit, keeps the known fields of a loose object.
type Without<T, K extends PropertyKey> = { [P in keyof T as P extends K ? never : P]: T[P] };
type Timed<T> = Without<T, 'offset_s'> & { at: Date };

export type MaterializedEvent = Timed<z.infer<typeof ScenarioEvent>>;
export type MaterializedLog = Timed<Without<z.infer<typeof ScenarioLog>, 'repeat' | 'every_s'>>;
export interface MaterializedMetric {
  metric: string;
  scope: string;
  /** [epoch ms, value], oldest first. */
  points: Array<[number, number]>;
}

/** A scenario placed at a real moment: absolute times, one entry per log line. */
export interface MaterializedScenario {
  id: string;
  title: string;
  alertTime: Date;
  /** The webhook payload Datadog would send, with its times set to the alert. */
  alert: Scenario['alert'];
  monitor: ScenarioMonitor;
  /** The account's other monitors. */
  monitors: ScenarioMonitor[];
  hosts: ScenarioHost[];
  events: MaterializedEvent[];
  logs: MaterializedLog[];
  metrics: MaterializedMetric[];
  serviceMap?: Record<string, string[]>;
  spans: MaterializedSpans[];
}

/** An endpoint's traffic placed in time: the `now` rates hold from `since` on. */
export type MaterializedSpans = Without<ScenarioSpans, 'since_s'> & { since: Date };

const after = (alertTime: Date, seconds: number) => new Date(alertTime.getTime() + Math.round(seconds * 1000));

/**
 * Turns offsets into absolute times around `alertTime`, expands each log entry into `repeat`
 * lines `every_s` apart (oldest first, so the result is the same for the same input), and sets
 * the alert's `timestamp`/`last_updated` (unix seconds) where the scenario leaves them 0.
 */
export function materializeScenario(scenario: Scenario, alertTime: Date): MaterializedScenario {
  const { datadog } = scenario;
  const alertSeconds = Math.floor(alertTime.getTime() / 1000);
  const logs = datadog.logs.flatMap(({ offset_s, repeat, every_s, ...line }) =>
    Array.from({ length: repeat }, (_, i) => ({ ...line, at: after(alertTime, offset_s + i * every_s) })),
  );
  return {
    id: scenario.id,
    title: scenario.title,
    alertTime,
    alert: {
      ...scenario.alert,
      timestamp: scenario.alert.timestamp || alertSeconds,
      last_updated: scenario.alert.last_updated || alertSeconds,
    },
    monitor: datadog.monitor,
    monitors: datadog.monitors,
    hosts: datadog.hosts,
    events: datadog.events
      .map(({ offset_s, ...event }) => ({ ...event, at: after(alertTime, offset_s) }))
      .sort((a, b) => a.at.getTime() - b.at.getTime()),
    // A stable sort keeps lines with the same time in file order.
    logs: logs.sort((a, b) => a.at.getTime() - b.at.getTime()),
    metrics: datadog.metrics.map(({ metric, scope, points }) => ({
      metric,
      scope,
      points: points.map(([offset, value]): [number, number] => [after(alertTime, offset).getTime(), value]).sort((a, b) => a[0] - b[0]),
    })),
    ...(datadog.service_map ? { serviceMap: datadog.service_map } : {}),
    spans: datadog.spans.map(({ since_s, ...spans }) => ({ ...spans, since: after(alertTime, since_s) })),
  };
}
