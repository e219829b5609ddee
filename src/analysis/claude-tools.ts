import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { CONTINUE_PROMPT, FINAL_PROMPT } from './claude-prompt';
import { type SubmittedReport, SubmittedReportSchema } from './report';

/** A time as the tools accept it: ISO 8601, or epoch seconds/milliseconds. */
const Time = z.union([z.string().min(1), z.number()]).describe('ISO 8601 time or epoch seconds; defaults to the evidence window');

// ---- Prometheus tools (issue 22): offered when the account has a Prometheus; the runner reads it through src/prometheus. ----
const PromLabel = z.string().min(1).max(256);
const PROMETHEUS_TOOL_INPUTS = {
  prometheus_query_range: z.object({
    query: z.string().min(1).max(2000).describe('a PromQL expression, e.g. rate(http_requests_total{job="api",code=~"5.."}[5m])'),
    from: Time.optional(),
    to: Time.optional(),
  }),
  prometheus_target_health: z
    .object({
      job: PromLabel.optional(),
      instance: PromLabel.optional().describe('host:port as Prometheus scrapes it; its host also selects the node exporter'),
      pod: PromLabel.optional(),
      namespace: PromLabel.optional(),
      host: PromLabel.optional().describe(
        'a host name without port: every target on it (any port) and its node, when no instance is known',
      ),
      from: Time.optional(),
      to: Time.optional(),
    })
    .refine((t) => t.job || t.instance || t.pod || t.host, { message: 'give job, instance, pod or host (namespace only narrows a pod)' }),
  prometheus_rule_state: z.object({
    alertname: z.string().min(1).max(256).describe("the alerting rule, as the alert's alertname label"),
    labels: z.record(z.string(), z.string()).optional().describe("the alert's other labels: only the rule's alerts with them are shown"),
  }),
} as const;
type PrometheusToolName = keyof typeof PROMETHEUS_TOOL_INPUTS;
/** The Prometheus tools, in the order they are offered. */
export const PROMETHEUS_TOOLS = Object.keys(PROMETHEUS_TOOL_INPUTS) as PrometheusToolName[];
const PROMETHEUS_DESCRIPTIONS: Record<PrometheusToolName, string> = {
  prometheus_query_range:
    "Run a PromQL range query on the account's Prometheus (read-only). Returns up to 3 series, each summarised: min, max, last, baseline, onset, a few points, and a link to Prometheus' graph.",
  prometheus_target_health:
    "A Prometheus target's health by its labels (read-only): up, process CPU, memory and restarts by job and instance, a pod's CPU, memory and restarts, and the instance's node CPU, memory and load.",
  prometheus_rule_state:
    "An alerting rule's state from Prometheus (read-only): its expression, health, last error and evaluation from /api/v1/rules, and its pending and firing alerts from /api/v1/alerts.",
};
// ---- end of the Prometheus tools ----

/** Input schemas of the read-only tools: validated before running, and given to Claude as JSON schema. */
export const TOOL_INPUTS = {
  search_logs: z.object({
    query: z.string().min(1).describe('Datadog log search query, e.g. "service:web-api status:error"'),
    from: Time.optional(),
    to: Time.optional(),
    limit: z.number().int().min(1).max(1000).optional().describe('lines to fetch before mining templates (default 300)'),
  }),
  query_metrics: z.object({
    query: z.string().min(1).describe('Datadog metric query, e.g. "avg:system.cpu.user{host:web-01}"'),
    from: Time.optional(),
    to: Time.optional(),
  }),
  get_events: z.object({
    query: z.string().optional().describe('words that must all appear in the title, text or tags (case-insensitive)'),
    from: Time.optional(),
    to: Time.optional(),
  }),
  get_host: z.object({ hostname: z.string().min(1) }),
  host_metrics: z.object({
    hostname: z.string().min(1).describe('the host whose reporting metrics to read, e.g. "db-02"'),
    from: Time.optional(),
    to: Time.optional(),
  }),
  scope_metrics: z.object({
    scope: z.string().min(1).describe('tags every series must carry, e.g. "service:coredns" or "kube_deployment:ingest,env:prod"'),
    from: Time.optional(),
    to: Time.optional(),
  }),
  get_monitor: z.object({ monitor_id: z.union([z.string().min(1), z.number().int()]).describe('the Datadog monitor id') }),
  similar_incidents: z.object({ text: z.string().min(1).describe('what the incident is about: service, symptom, suspected cause') }),
  ...PROMETHEUS_TOOL_INPUTS,
  service_dependencies: z.object({
    env: z.string().min(1).optional().describe('the APM env (default "prod")'),
    service: z
      .string()
      .min(1)
      .optional()
      .describe('answer only for this service: what it calls, directly or not, and who calls it; default the whole map'),
  }),
  span_aggregates: z.object({
    query: z.string().min(1).optional().describe('span search query, e.g. "env:prod"; default every span'),
    from: Time.optional(),
    to: Time.optional(),
  }),
} as const;

export type ReadToolName = keyof typeof TOOL_INPUTS;
export const SUBMIT_REPORT = 'submit_report';

const DESCRIPTIONS: Record<ReadToolName, string> = {
  search_logs:
    'Search Datadog logs (read-only). Returns the lines mined into templates with counts, levels, hosts, first/last seen and an example each.',
  query_metrics:
    'Query a Datadog metric timeseries (read-only). Returns each series summarised: min, max, last, baseline against the last five minutes, a few points.',
  get_events: 'List Datadog events in a time range (read-only): deployments, config changes, scaling, alerts.',
  get_host: 'Get one host from the Datadog infrastructure list (read-only): up, apps, platform, cpu/iowait/load, tags.',
  get_monitor: 'Get a Datadog monitor definition and state (read-only).',
  host_metrics:
    "Every metric a named host reported in the range (read-only), each summarised: min, max, last, baseline against the last five minutes. For a host other than the alert's (a database, a node, a resolver the errors name).",
  scope_metrics:
    'Every metric reported under the given tags in the range (read-only), each summarised over that scope. For a component that is not a host: a service, a deployment, a queue.',
  similar_incidents:
    'Search past incidents of this account that read like the given text (read-only). Returns title, root cause, category and score.',
  ...PROMETHEUS_DESCRIPTIONS,
  service_dependencies: "APM's service map (read-only): each service and the services it calls. Call it once per investigation.",
  span_aggregates:
    'APM spans of every service and resource in one call (read-only): hits, errors and p95 latency per minute now (the last five minutes) against the baseline before, whether each fails, and when its errors began. Call it once per investigation; it covers every service, so never call it per service or per span.',
};

/** zod's JSON schema without the `$schema` key, as a tool input schema. */
function inputSchema(schema: z.ZodType): Anthropic.Tool.InputSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest as Anthropic.Tool.InputSchema;
}

/**
 * What an analyst conversation is for: the read-only tools it may use and the tool whose valid
 * input ends it. The RCA investigation and the GitHub issue triage are two tasks on one loop.
 */
export interface AnalysisTask<R = unknown> {
  readTools: readonly ReadToolName[];
  submit: { name: string; description: string; schema: z.ZodType<R> };
  /** Said when the model stopped without a tool call, and on the last turn. */
  continuePrompt: string;
  finalPrompt: string;
}

const ALL_TOOLS = Object.keys(TOOL_INPUTS) as ReadToolName[];
/** Datadog's tools and the similar-incident search: what every RCA and triage is offered. */
export const READ_TOOLS = ALL_TOOLS.filter((name) => !(PROMETHEUS_TOOLS as readonly string[]).includes(name));

/** The model submits hypotheses and no verdict: code derives it when the report is stored. */
export const RCA_TASK: AnalysisTask<SubmittedReport> = {
  readTools: READ_TOOLS,
  submit: {
    name: SUBMIT_REPORT,
    description: 'Submit the final root-cause report. Call exactly once, when the investigation is done.',
    schema: SubmittedReportSchema,
  },
  continuePrompt: CONTINUE_PROMPT,
  finalPrompt: FINAL_PROMPT,
};

/** The RCA of an account with a Prometheus: the Prometheus tools besides the others. */
export const RCA_TASK_WITH_PROMETHEUS: AnalysisTask<SubmittedReport> = { ...RCA_TASK, readTools: [...READ_TOOLS, ...PROMETHEUS_TOOLS] };

export const submitTool = (task: AnalysisTask): Anthropic.Tool => ({
  name: task.submit.name,
  description: task.submit.description,
  input_schema: inputSchema(task.submit.schema),
});

/** The task's read-only tools and its submit tool, in a fixed order so the cached prefix stays byte-identical. */
export const toolsOf = (task: AnalysisTask): Anthropic.Tool[] => [
  ...ALL_TOOLS.filter((name) => task.readTools.includes(name)).map((name) => ({
    name,
    description: DESCRIPTIONS[name],
    input_schema: inputSchema(TOOL_INPUTS[name]),
  })),
  submitTool(task),
];

/** Whether the task offers this read-only tool: a model asking for any other gets an error result. */
export const offersReadTool = (task: AnalysisTask, name: string): name is ReadToolName =>
  (task.readTools as readonly string[]).includes(name);

/** JSON with sorted keys: two calls with the same arguments in another order are the same call. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const callKey = (name: string, input: unknown) => `${name} ${canonicalJson(input)}`;

/** zod issues as one line for a tool_result the model can act on. */
export const describeIssues = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
