import type { Client } from '@temporalio/client';
import type { Db } from '../db/pool';
import { startInOrder, TemporalUnavailableError } from './workflow-starts';
import type { Logger } from '../logger';
import { type PendingReindex, RcaStore } from '../rca/store';
import type { ApiMetrics } from '../telemetry/metrics';
import type { reindexRcaWorkflow } from '../workflows';

export interface FeedbackReindexDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** How long one start may take before the feedback is left pending. */
  temporalTimeoutMs: number;
  log: Logger;
  metrics: ApiMetrics;
}

/**
 * Re-indexes an RCA after feedback, so a rejected one stops being offered as a similar incident.
 * The feedback row is the durable record: while Temporal is away it stays pending and
 * reconcilePending (run by the intake's reconciler) starts it later.
 */
export class FeedbackReindex {
  private readonly rcas: RcaStore;

  constructor(private readonly deps: FeedbackReindexDeps) {
    this.rcas = new RcaStore(deps.db);
  }

  /** Starts the re-index of a stored feedback; throws TemporalUnavailableError with the feedback kept pending. */
  async start(feedback: PendingReindex): Promise<void> {
    const { temporal, taskQueue, temporalTimeoutMs, log, metrics } = this.deps;
    try {
      const startedNow = await temporal.connection
        .withDeadline(Date.now() + temporalTimeoutMs, () =>
          temporal.workflow.start<typeof reindexRcaWorkflow>('reindexRcaWorkflow', {
            workflowId: `rca-feedback/${feedback.rca_id}/${feedback.id}`,
            taskQueue,
            args: [feedback.rca_id],
          }),
        )
        .then(
          () => true,
          (err: Error) => {
            // Already started: by the reconciler meanwhile, or by a start whose answer was lost.
            if (err.name === 'WorkflowExecutionAlreadyStartedError') return false;
            throw err;
          },
        );
      if (startedNow) metrics.workflowsStarted.inc({ workflow_type: 'reindexRcaWorkflow' });
    } catch (err) {
      metrics.workflowStartFailures.inc({ workflow_type: 'reindexRcaWorkflow' });
      await this.rcas.noteReindexError(feedback.id, (err as Error).message);
      log.warn(
        { feedbackId: feedback.id, rcaId: feedback.rca_id, err: (err as Error).message },
        'reindex start failed; feedback kept pending',
      );
      throw new TemporalUnavailableError(feedback.id, err);
    }
    await this.rcas.markReindexStarted(feedback.id);
  }

  /** Starts pending re-indexes (they keep no back-off), oldest first, and returns how many; stops while Temporal is still away. */
  async reconcilePending(): Promise<number> {
    return startInOrder(await this.rcas.pendingReindexes(), (row) => this.start(row));
  }
}
