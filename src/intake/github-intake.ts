import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { boundedKey, MAX_KEY_BYTES, storableJson } from './storable';
import { type StartRequest, StartRejectedError, WorkflowStarts, type WorkflowStartsDeps } from './workflow-starts';
import { RayneRepository } from '../contracts/search-attributes';
import { type IssuesEvent, triageDecision, triageWorkflowId } from '../github/payload';
import type { githubIssueWorkflow } from '../workflows';

export interface GithubIntakeDeps extends WorkflowStartsDeps {
  taskQueue: string;
  triggerLabel: string;
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

/** Where a stored delivery is; skipped ones never ask for a triage (see EVENT_STATUSES for the rest). */
export const DELIVERY_STATUSES = ['skipped', 'pending_start', 'started', 'rejected', 'dead_letter'] as const;
type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

interface Row {
  id: string;
  delivery_id: string;
  repository: string | null;
  status: DeliveryStatus;
  skip_reason: string | null;
  workflow_id: string | null;
  run_id: string | null;
  start_attempts: number;
  last_error: string | null;
}

const COLUMNS = 'id::text, delivery_id, repository, status, skip_reason, workflow_id, run_id, start_attempts, last_error';

/** Stores GitHub deliveries once each and starts a triage for the ones that ask for it. */
export class GithubIntake {
  private readonly starts: WorkflowStarts<Row>;

  constructor(private readonly deps: GithubIntakeDeps) {
    this.starts = new WorkflowStarts(deps, 'github_issue_events', 'githubIssueWorkflow');
  }

  /**
   * Stores the delivery (once per delivery id) and, when it asks for a triage, starts
   * github/{deliveryId} before resolving. A redelivery answers with the original ids; one whose
   * start had failed tries the start again. Throws TemporalUnavailableError with the row kept pending,
   * or StartRejectedError with it stored as rejected. Text Postgres cannot hold is stored replaced.
   */
  async accept(received: GithubDelivery): Promise<GithubAcceptResult> {
    const delivery = storableJson(received);
    const decision = delivery.issues
      ? triageDecision(delivery.issues, this.deps.triggerLabel)
      : { triage: false as const, reason: delivery.event === 'ping' ? 'ping' : `event "${delivery.event}" is not triaged (only issues)` };
    const issue = delivery.issues;
    const { rows } = await this.deps.db.query<Row>(
      `INSERT INTO github_issue_events (delivery_id, event, action, repository, issue_number, issue_title, issue_url, sender,
         payload, status, skip_reason, workflow_id, start_attempts, last_attempt_at, start_claimed_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $13 > 0 THEN now() END, CASE WHEN $13 > 0 THEN ${this.starts.claimUntil()} END)
       ON CONFLICT (delivery_id) DO NOTHING RETURNING ${COLUMNS}`,
      [
        delivery.deliveryId,
        delivery.event,
        issue?.action ?? (typeof delivery.payload.action === 'string' ? delivery.payload.action : null),
        issue?.repository.full_name ?? null,
        issue?.issue.number ?? null,
        issue?.issue.title ?? null,
        issue?.issue.html_url ?? null,
        issue?.sender?.login ?? null,
        JSON.stringify(delivery.payload),
        decision.triage ? 'pending_start' : 'skipped',
        decision.triage ? null : decision.reason,
        decision.triage ? triageWorkflowId(delivery.deliveryId) : null,
        decision.triage ? 1 : 0,
      ],
    );
    const inserted = rows[0];
    if (inserted) return inserted.status === 'pending_start' ? this.start(inserted, false) : resultOf(inserted, false);

    const existing = (
      await this.deps.db.query<Row>(`SELECT ${COLUMNS} FROM github_issue_events WHERE delivery_id = $1`, [delivery.deliveryId])
    ).rows[0]!;
    // A redelivery after our 503 is GitHub (or a person) retrying: try the start again, unless a
    // concurrent copy is starting it right now.
    if (existing.status === 'pending_start') {
      const retried = await this.retryStart(existing);
      if (retried) return retried;
    }
    if (existing.status === 'rejected') throw new StartRejectedError(existing.id, existing.last_error ?? 'rejected');
    return resultOf(existing, true);
  }

  /** Starts due pending triages, oldest first, and returns how many (see WorkflowStarts.reconcile). */
  async reconcilePending(ignoreBackoff = false, limit = 100): Promise<number> {
    return this.starts.reconcile(
      async (due) =>
        (await this.deps.db.query<Row>(`SELECT ${COLUMNS} FROM github_issue_events WHERE ${due} ORDER BY id LIMIT $1`, [limit])).rows,
      (row) => this.retryStart(row),
      ignoreBackoff,
    );
  }

  /** Undefined when another delivery holds the start (WorkflowStarts.retry). */
  private async retryStart(row: Row): Promise<GithubAcceptResult | undefined> {
    const runId = await this.starts.retry(row, startRequestOf(row), () => this.send(row));
    return runId === undefined ? undefined : resultOf({ ...row, status: 'started', run_id: runId }, false);
  }

  private async start(row: Row, duplicate: boolean): Promise<GithubAcceptResult> {
    const runId = await this.starts.start(row, startRequestOf(row), () => this.send(row));
    return resultOf({ ...row, status: 'started', run_id: runId }, duplicate);
  }

  /** Starts github/{deliveryId} once ever; a start retried after the first run began finds that run. */
  private async send(row: Row): Promise<string> {
    const { temporal, taskQueue } = this.deps;
    const { workflowId, searchAttributes, payloads } = startRequestOf(row);
    try {
      const handle = await temporal.workflow.start<typeof githubIssueWorkflow>('githubIssueWorkflow', {
        workflowId,
        taskQueue,
        args: payloads as [TriageInput],
        // One triage per delivery, ever: a start retried after the first completed must not triage again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes as Array<{ key: typeof RayneRepository; value: string }>,
      });
      return handle.firstExecutionRunId;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return (await temporal.workflow.getHandle(workflowId).describe()).runId;
    }
  }
}

type TriageInput = { eventId: string; triageId: string };

function startRequestOf(row: Row): StartRequest {
  const workflowId = row.workflow_id!;
  const input: TriageInput = { eventId: row.id, triageId: workflowId };
  return {
    workflowId,
    searchAttributes: row.repository ? [{ key: RayneRepository, value: boundedKey(row.repository, MAX_KEY_BYTES) }] : [],
    payloads: [input],
  };
}

function resultOf(row: Row, duplicate: boolean): GithubAcceptResult {
  return {
    event_id: row.id,
    delivery_id: row.delivery_id,
    status: row.status === 'skipped' ? 'skipped' : 'started',
    ...(row.skip_reason ? { reason: row.skip_reason } : {}),
    workflow_id: row.workflow_id,
    run_id: row.run_id,
    duplicate,
  };
}
