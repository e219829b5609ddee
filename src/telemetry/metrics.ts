import http from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { TurnUsage } from '../analysis/conversation';
import type { WorkflowOutcome } from './workflow-interceptors';
import { type EffectOutcome, PROCESSORS } from '../contracts/incident';

/** Something /metrics serves: a prom-client registry, or exposition text read elsewhere (Temporal Core's exporter). */
export type MetricsSource = Registry | (() => Promise<string>);

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let processRegistry: Registry | undefined;

/** CPU, memory, event-loop lag and GC of this process; one registry per process, whoever serves it. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The Prometheus text of every source, in order; a source that fails is left out with a comment saying why. */
export async function exposition(sources: MetricsSource[]): Promise<string> {
  const parts = await Promise.all(
    sources.map(async (source) => {
      try {
        const text = source instanceof Registry ? await source.metrics() : await source();
        return text.endsWith('\n') || text === '' ? text : `${text}\n`;
      } catch (err) {
        return `# source unavailable: ${(err as Error).message.replace(/\s+/g, ' ')}\n`;
      }
    }),
  );
  return parts.join('');
}

/** The API's series: what happened to each webhook, and the workflow starts Temporal accepted. */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly webhooksReceived = new Counter({
    name: 'rayne_webhooks_received_total',
    help: 'Webhook requests received, whatever their answer, by source (datadog, alertmanager, grafana, pagerduty, github)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly webhooksDuplicated = new Counter({
    name: 'rayne_webhooks_duplicated_total',
    help: 'Redeliveries of a stored event or delivery, answered 200 with the original ids',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly webhooksRejected = new Counter({
    name: 'rayne_webhooks_rejected_total',
    help: 'Webhooks answered with an error, by source and HTTP status (400 invalid, 401 secret or signature, 404 account, 413 size, 415 type, 422 Temporal refuses the start for good, 502 Temporal refuses the setup, 503 Temporal, or no GitHub or PagerDuty secret)',
    labelNames: ['source', 'status'] as const,
    registers: [this.registry],
  });
  readonly workflowsStarted = new Counter({
    name: 'rayne_workflows_started_total',
    help: 'Workflow starts (and signal-with-starts) Temporal accepted, by workflow type',
    labelNames: ['workflow_type'] as const,
    registers: [this.registry],
  });
  readonly workflowStartFailures = new Counter({
    name: 'rayne_workflow_start_failures_total',
    help: 'Workflow starts Temporal did not accept (the event stays pending_start, or is rejected when it never can be)',
    labelNames: ['workflow_type'] as const,
    registers: [this.registry],
  });
  readonly eventsNotStarted = new Counter({
    name: 'rayne_events_not_started_total',
    help: 'Events stored without a workflow for good, by source and state: rejected (Temporal refuses the start as it is) or dead_letter (the start kept failing); alert on dead_letter',
    labelNames: ['source', 'state'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Every series at zero from the start, so a fresh stack shows them and rate() sees the first increase.
    for (const source of WEBHOOK_SOURCES) {
      this.webhooksReceived.inc({ source }, 0);
      this.webhooksDuplicated.inc({ source }, 0);
      for (const status of ANSWERED_ERRORS) this.webhooksRejected.inc({ source, status }, 0);
      for (const state of ['rejected', 'dead_letter']) this.eventsNotStarted.inc({ source, state }, 0);
    }
    for (const workflowType of STARTED_WORKFLOWS) {
      this.workflowsStarted.inc({ workflow_type: workflowType }, 0);
      this.workflowStartFailures.inc({ workflow_type: workflowType }, 0);
    }
  }

  /** Counts one answered webhook; an error status also counts as rejected. */
  webhookAnswered(source: WebhookSource, status: number): void {
    this.webhooksReceived.inc({ source });
    if (status >= 400) this.webhooksRejected.inc({ source, status: String(status) });
  }
}

const WEBHOOK_SOURCES = ['datadog', 'alertmanager', 'grafana', 'pagerduty', 'github'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];
// The error answers a webhook can get (see rayne_webhooks_rejected_total's help).
const ANSWERED_ERRORS = ['400', '401', '404', '413', '415', '422', '502', '503'];
const STARTED_WORKFLOWS = ['incidentWorkflow', 'githubIssueWorkflow'];

/** What activities report about their work; tests and tools that build activities alone get the no-op one. */
export interface ActivityMetrics {
  processorEffect(processor: string, outcome: EffectOutcome | 'failed'): void;
  llmTurn(analyst: string, model: string, usage: TurnUsage, costUsd: number): void;
}

export const NO_ACTIVITY_METRICS: ActivityMetrics = { processorEffect: () => undefined, llmTurn: () => undefined };

/** How many closed runs the worker remembers to count each once: far more than close while one task is retried. */
const CLOSED_RUNS_KEPT = 10_000;

const WORKFLOW_OUTCOMES: WorkflowOutcome[] = ['completed', 'failed', 'cancelled', 'continued_as_new'];
const EFFECT_OUTCOMES: Array<EffectOutcome | 'failed'> = ['sent', 'already_done', 'found_existing', 'in_doubt', 'failed'];

/** The worker's series: workflow outcomes, activity latency, processor outcomes, RCA duration and LLM spend. */
export class WorkerMetrics implements ActivityMetrics {
  readonly registry = new Registry();
  readonly workflowsClosed = new Counter({
    name: 'rayne_workflows_closed_total',
    help: 'Workflow runs this worker closed, by type and outcome (completed, failed, cancelled, continued_as_new)',
    labelNames: ['workflow_type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly activityDuration = new Histogram({
    name: 'rayne_activity_duration_seconds',
    help: 'Time one activity attempt ran on this worker, by activity type and outcome',
    labelNames: ['activity_type', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly processorEffects = new Counter({
    name: 'rayne_processor_effects_total',
    help: 'Tier-1 processor effects by processor and outcome (sent, already_done, found_existing, in_doubt, failed)',
    labelNames: ['processor', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rcaDuration = new Histogram({
    name: 'rayne_rca_duration_seconds',
    help: 'From the start of an rcaWorkflow to its close, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [this.registry],
  });
  readonly llmTokens = new Counter({
    name: 'rayne_llm_tokens_total',
    help: 'Tokens model turns spent, by analyst, model and kind (input, output, cached)',
    labelNames: ['analyst', 'model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly llmCost = new Counter({
    name: 'rayne_llm_cost_usd_total',
    help: 'Estimated cost of model turns in US dollars, by analyst and model',
    labelNames: ['analyst', 'model'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Series with known labels start at zero, so a fresh worker shows them.
    for (const workflowType of ['incidentWorkflow', 'rcaWorkflow', 'reindexRcaWorkflow', 'githubIssueWorkflow']) {
      for (const outcome of WORKFLOW_OUTCOMES) this.workflowsClosed.inc({ workflow_type: workflowType, outcome }, 0);
    }
    for (const processor of PROCESSORS) {
      for (const outcome of EFFECT_OUTCOMES) this.processorEffects.inc({ processor, outcome }, 0);
    }
  }

  processorEffect(processor: string, outcome: EffectOutcome | 'failed'): void {
    this.processorEffects.inc({ processor, outcome });
  }

  llmTurn(analyst: string, model: string, usage: TurnUsage, costUsd: number): void {
    this.llmTokens.inc({ analyst, model, kind: 'input' }, usage.inputTokens);
    this.llmTokens.inc({ analyst, model, kind: 'output' }, usage.outputTokens);
    this.llmTokens.inc({ analyst, model, kind: 'cached' }, usage.cachedTokens);
    this.llmCost.inc({ analyst, model }, costUsd);
  }

  /** Runs already counted, newest last: a closing task the server lost is run again, and reports again. */
  private readonly closedRuns = new Set<string>();

  /** A workflow run closed (reported by the workflow interceptor through a sink, never during replay): counted once per run. */
  workflowClosed(info: WorkflowInfo, outcome: WorkflowOutcome): void {
    if (info.runId) {
      if (this.closedRuns.has(info.runId)) return;
      this.closedRuns.add(info.runId);
      // A Set iterates in insertion order: the oldest goes first once enough newer runs closed.
      if (this.closedRuns.size > CLOSED_RUNS_KEPT) this.closedRuns.delete(this.closedRuns.values().next().value!);
    }
    this.workflowsClosed.inc({ workflow_type: info.workflowType, outcome });
    if (info.workflowType === 'rcaWorkflow') {
      // The info crossed from the workflow's context: read the date by value, not by prototype.
      const startedMs = new Date(info.startTime as unknown as string).getTime();
      if (Number.isFinite(startedMs)) this.rcaDuration.observe({ outcome }, Math.max(0, (Date.now() - startedMs) / 1000));
    }
  }
}

/** Reads Temporal Core's Prometheus exporter (a loopback port) so the worker's endpoint can serve its series too. */
export const scrapeText =
  (url: string, timeoutMs = 2000) =>
  (): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = http.get(url, { timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url} answered ${res.statusCode}`)),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
    });
