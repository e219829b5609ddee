import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../db/pool';
import { startInOrder, TemporalUnavailableError } from '../intake/intake';
import type { Logger } from '../logger';
import type { ApiMetrics } from '../telemetry/metrics';
import { RayneRepository } from '../workflows/search-attributes';
import { type IssuesEvent, triageDecision, triageWorkflowId } from './payload';

export interface GithubIntakeDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  temporalTimeoutMs: number;
  triggerLabel: string;
  log: Logger;
  metrics: ApiMetrics;
}

export interface GithubDelivery {
  deliveryId: string;
  /** X-GitHub-Event. */
  event: string;
  payload: Record<string, unknown>;
  /** Set for `issues` deliveries that parsed; other events are stored as received and skipped. */
  issues?: IssuesEvent;
}

export interface GithubAcceptResult {
  event_id: string;
  delivery_id: string;
  status: 'skipped' | 'started';
  reason?: string;
  workflow_id: string | null;
  run_id: string | null;
  duplicate: boolean;
}

interface Row {
  id: string;
  delivery_id: string;
  repository: string | null;
  status: 'skipped' | 'pending_start' | 'started';
  skip_reason: string | null;
  workflow_id: string | null;
  run_id: string | null;
}

const COLUMNS = 'id::text, delivery_id, repository, status, skip_reason, workflow_id, run_id';

/** Stores GitHub deliveries once each and starts a triage for the ones that ask for it. */
export class GithubIntake {
  constructor(private readonly deps: GithubIntakeDeps) {}

  /**
   * Stores the delivery (once per delivery id) and, when it asks for a triage, starts
   * github/{deliveryId} before resolving. A redelivery answers with the original ids; one whose
   * start had failed tries the start again. Throws TemporalUnavailableError with the row kept pending.
   */
  async accept(delivery: GithubDelivery): Promise<GithubAcceptResult> {
    const decision = delivery.issues
      ? triageDecision(delivery.issues, this.deps.triggerLabel)
      : { triage: false as const, reason: delivery.event === 'ping' ? 'ping' : `event "${delivery.event}" is not triaged (only issues)` };
    const issue = delivery.issues;
    const { rows } = await this.deps.db.query<Row>(
      `INSERT INTO github_issue_events (delivery_id, event, action, repository, issue_number, issue_title, issue_url, sender,
         payload, status, skip_reason, workflow_id, start_attempts, last_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $13 > 0 THEN now() END)
       ON CONFLICT (delivery_id) DO NOTHING RETURNING ${COLUMNS}`,
      [
        delivery.deliveryId, delivery.event, issue?.action ?? (typeof delivery.payload.action === 'string' ? delivery.payload.action : null),
        issue?.repository.full_name ?? null, issue?.issue.number ?? null, issue?.issue.title ?? null, issue?.issue.html_url ?? null,
        issue?.sender?.login ?? null, JSON.stringify(delivery.payload),
        decision.triage ? 'pending_start' : 'skipped', decision.triage ? null : decision.reason,
        decision.triage ? triageWorkflowId(delivery.deliveryId) : null, decision.triage ? 1 : 0,
      ],
    );
    const inserted = rows[0];
    if (inserted) return inserted.status === 'pending_start' ? this.start(inserted, false) : resultOf(inserted, false);

    const existing = (await this.deps.db.query<Row>(`SELECT ${COLUMNS} FROM github_issue_events WHERE delivery_id = $1`, [delivery.deliveryId])).rows[0]!;
    // A redelivery after our 503 is GitHub (or a person) retrying: try the start again.
    if (existing.status === 'pending_start') return this.retryStart(existing);
    return resultOf(existing, true);
  }

  /** Starts pending triages, oldest first; stops at the first failure (Temporal is still away). */
  async reconcilePending(limit = 100): Promise<number> {
    const { rows } = await this.deps.db.query<Row>(
      `SELECT ${COLUMNS} FROM github_issue_events WHERE status = 'pending_start'
        AND (last_attempt_at IS NULL OR last_attempt_at < now() - interval '1 second') ORDER BY id LIMIT $1`,
      [limit],
    );
    return startInOrder(rows, (row) => this.retryStart(row));
  }

  private async retryStart(row: Row): Promise<GithubAcceptResult> {
    await this.deps.db.query('UPDATE github_issue_events SET start_attempts = start_attempts + 1, last_attempt_at = now() WHERE id = $1', [row.id]);
    return this.start(row, false);
  }

  private async start(row: Row, duplicate: boolean): Promise<GithubAcceptResult> {
    const { temporal, taskQueue, temporalTimeoutMs, db, log, metrics } = this.deps;
    const workflowId = row.workflow_id!;
    let accepted = false;
    try {
      const runId = await temporal.connection.withDeadline(Date.now() + temporalTimeoutMs, async () => {
        try {
          const handle = await temporal.workflow.start('githubIssueWorkflow', {
            workflowId,
            taskQueue,
            args: [{ eventId: row.id, triageId: workflowId }],
            // One triage per delivery, ever: a start retried after the first completed must not triage again.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            ...(row.repository ? { typedSearchAttributes: [{ key: RayneRepository, value: row.repository }] } : {}),
          });
          return handle.firstExecutionRunId;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          return (await temporal.workflow.getHandle(workflowId).describe()).runId;
        }
      });
      accepted = true;
      metrics.workflowsStarted.inc({ workflow_type: 'githubIssueWorkflow' });
      await db.query(
        `UPDATE github_issue_events SET status = 'started', run_id = $2, started_at = now(), last_error = NULL WHERE id = $1 AND status = 'pending_start'`,
        [row.id, runId],
      );
      return resultOf({ ...row, status: 'started', run_id: runId }, duplicate);
    } catch (err) {
      if (!accepted) metrics.workflowStartFailures.inc({ workflow_type: 'githubIssueWorkflow' });
      await db.query('UPDATE github_issue_events SET last_error = $2 WHERE id = $1', [row.id, (err as Error).message.slice(0, 500)]);
      log.warn({ eventId: row.id, workflowId, err: (err as Error).message }, 'temporal start failed; GitHub delivery kept pending');
      throw new TemporalUnavailableError(row.id, err);
    }
  }
}

function resultOf(row: Row, duplicate: boolean): GithubAcceptResult {
  return {
    event_id: row.id, delivery_id: row.delivery_id, status: row.status === 'skipped' ? 'skipped' : 'started',
    ...(row.skip_reason ? { reason: row.skip_reason } : {}),
    workflow_id: row.workflow_id, run_id: row.run_id, duplicate,
  };
}
