import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { ProcessorName, ProcessorTask } from '../contracts/incident';
import { FATAL_CODES } from '../errors';

/**
 * How each group of activities is timed and retried, shared by every workflow that schedules it,
 * so one kind of call cannot be retried one way in one workflow and another way in the next.
 */

// Activities already mark fatal codes non-retryable; listing them here keeps them fatal when a throw forgets to.
const retrying = (policy: RetryPolicy): RetryPolicy => ({ ...policy, nonRetryableErrorTypes: FATAL_CODES });

/**
 * Postgres bookkeeping: single statements, retried through database restarts without a cap,
 * because a workflow must outlive an outage of its own database rather than lose its incident.
 */
export const STORE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: retrying({ maximumInterval: '1m' }),
};

/** The offline analyst and triage: pure work over stored evidence, so a third failure is a bug, not an outage. */
export const ANALYSIS_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: retrying({ initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 }),
};

/**
 * Embedding a report and storing its vector (Ollama, Qdrant or Postgres): an unreachable engine is
 * retried for about ten minutes, then the run fails saying so; a wrong setup fails at once.
 */
export const INDEXING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: retrying({ initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 12 }),
};

/** One Datadog source of an RCA: each may fail alone; calls heartbeat, so a dead worker is noticed in seconds. */
export const PREFETCH_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: retrying({ initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 }),
};

/**
 * The investigating analyst's turns (a pure function over Postgres) and its reads of Datadog: a
 * read that fails is answered as missing evidence, so retries here are for Postgres and a lost
 * worker, which a read's heartbeat makes known in seconds.
 */
export const INVESTIGATION_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1m',
  heartbeatTimeout: '15s',
  retry: retrying({ initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 }),
};

/** Datadog's notebook API: transient failures retry; the report stays in Postgres whatever happens. */
export const NOTEBOOK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: retrying({ initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 6 }),
};

/**
 * GitHub writes: calls heartbeat, so a worker that died after GitHub answered is noticed in seconds
 * and the retry finds the comment by its marker. Rate limits wait for GitHub's reset.
 */
export const GITHUB_WRITE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: retrying({ initialInterval: '2s', maximumInterval: '2m', maximumAttempts: 8 }),
};

/**
 * The model activities: overloaded and rate-limited APIs retry with backoff, a rejected key fails
 * at once. Above the SDK's 4-minute request timeout, so the SDK gives up first and says why; a turn
 * heartbeats while it waits, so a dead worker is noticed in seconds. On the plan's task queue
 * when one is set (TEMPORAL_LLM_TASK_QUEUE), so model calls scale apart from everything else.
 */
export const modelOptions = (taskQueue?: string): ActivityOptions => ({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: retrying({ initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 6 }),
  ...(taskQueue ? { taskQueue } : {}),
});

// Each processor retries on its own schedule; a failure that is the caller's fault (4xx) is non-retryable at the source.
const PROCESSOR_RETRY: Record<ProcessorName, RetryPolicy> = {
  notify: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 6 },
  slack: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 6 },
  forward: { initialInterval: '2s', maximumInterval: '5m', maximumAttempts: 12 },
  downtime: { initialInterval: '2s', maximumInterval: '5m', maximumAttempts: 10 },
};

/** One tier-1 processor task, bounded by the task's timeout per call: a downtime's lookup pages and its create each get one. */
export function processorOptions(task: ProcessorTask): ActivityOptions {
  const calls = task.processor === 'downtime' ? 12 : 1;
  return { startToCloseTimeout: task.timeoutMs * calls + 5_000, retry: retrying(PROCESSOR_RETRY[task.processor]) };
}

/** An incident group's one Slack message: the Slack processor's retries, bounded by its longest timeout (60 s). */
export const GROUP_SLACK_OPTIONS: ActivityOptions = { startToCloseTimeout: '70s', retry: retrying(PROCESSOR_RETRY.slack) };
