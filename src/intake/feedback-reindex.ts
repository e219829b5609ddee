import type { Client } from '@temporalio/client';
import type { Db } from '../db/pool';
import { startInOrder, TemporalUnavailableError } from './workflow-starts';
import type { Logger } from '../logger';
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

interface PendingFeedback {
  id: string;
  rca_id: string;
}

/**
 * Re-indexes an RCA after feedback, so a rejected one stops being offered as a similar incident.
 * The feedback row is the durable record: while Temporal is away it stays pending and
 * reconcilePending (run by the intake's reconciler) starts it later.
 */
export class FeedbackReindex {
  constructor(private readonly deps: FeedbackReindexDeps) {}

  /** Starts the re-index of a stored feedback; throws TemporalUnavailableError with the feedback kept pending. */
  async start(feedback: PendingFeedback): Promise<void> {
    const { temporal, taskQueue, temporalTimeoutMs, db, log, metrics } = this.deps;
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
      await db.query('UPDATE rca_feedback SET reindex_error = $2 WHERE id = $1', [feedback.id, (err as Error).message.slice(0, 500)]);
      log.warn(
        { feedbackId: feedback.id, rcaId: feedback.rca_id, err: (err as Error).message },
        'reindex start failed; feedback kept pending',
      );
      throw new TemporalUnavailableError(feedback.id, err);
    }
    await db.query(`UPDATE rca_feedback SET reindex_status = 'started', reindex_error = NULL WHERE id = $1`, [feedback.id]);
  }

  /** Starts pending re-indexes (they keep no back-off), oldest first, and returns how many; stops while Temporal is still away. */
  async reconcilePending(): Promise<number> {
    const { rows } = await this.deps.db.query<PendingFeedback>(
      `SELECT id::text, rca_id FROM rca_feedback WHERE reindex_status = 'pending' ORDER BY id LIMIT 100`,
    );
    return startInOrder(rows, (row) => this.start(row));
  }
}
