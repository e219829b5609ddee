import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { boundedKey, MAX_KEY_BYTES, storableJson } from './storable';
import { type StartRequest, StartRejectedError, WorkflowStarts, type WorkflowStartsDeps } from './workflow-starts';
import { RayneRepository } from '../contracts/search-attributes';
import { type IssuesEvent, triageDecision, triageWorkflowId } from '../github/payload';
import type { githubIssueWorkflow } from '../workflows';
import { DeliveryStore, type DeliveryRow } from '../github/delivery-store';

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

/** Stores GitHub deliveries once each and starts a triage for the ones that ask for it. */
export class GithubIntake {
  private readonly deliveries: DeliveryStore;
  private readonly starts: WorkflowStarts<DeliveryRow>;

  constructor(private readonly deps: GithubIntakeDeps) {
    this.deliveries = new DeliveryStore(deps.db);
    this.starts = new WorkflowStarts(deps, this.deliveries.starts, 'github', 'githubIssueWorkflow');
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
    const inserted = await this.deliveries.insert(
      {
        deliveryId: delivery.deliveryId,
        event: delivery.event,
        action: issue?.action ?? (typeof delivery.payload.action === 'string' ? delivery.payload.action : null),
        repository: issue?.repository.full_name ?? null,
        issueNumber: issue?.issue.number ?? null,
        issueTitle: issue?.issue.title ?? null,
        issueUrl: issue?.issue.html_url ?? null,
        sender: issue?.sender?.login ?? null,
        payload: delivery.payload,
        start: decision.triage ? { workflowId: triageWorkflowId(delivery.deliveryId) } : { skipReason: decision.reason },
      },
      this.starts.claimSeconds(),
    );
    if (inserted) return inserted.status === 'pending_start' ? this.start(inserted, false) : resultOf(inserted, false);

    const existing = (await this.deliveries.findByDeliveryId(delivery.deliveryId))!;
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
      (ignoringBackoff) => this.deliveries.dueForStart(ignoringBackoff, limit),
      (row) => this.retryStart(row),
      ignoreBackoff,
    );
  }

  /** Undefined when another delivery holds the start (WorkflowStarts.retry). */
  private async retryStart(row: DeliveryRow): Promise<GithubAcceptResult | undefined> {
    const runId = await this.starts.retry(row, startRequestOf(row), () => this.send(row));
    return runId === undefined ? undefined : resultOf({ ...row, status: 'started', run_id: runId }, false);
  }

  private async start(row: DeliveryRow, duplicate: boolean): Promise<GithubAcceptResult> {
    const runId = await this.starts.start(row, startRequestOf(row), () => this.send(row));
    return resultOf({ ...row, status: 'started', run_id: runId }, duplicate);
  }

  /** Starts github/{deliveryId} once ever; a start retried after the first run began finds that run. */
  private async send(row: DeliveryRow): Promise<string> {
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

function startRequestOf(row: DeliveryRow): StartRequest {
  const workflowId = row.workflow_id!;
  const input: TriageInput = { eventId: row.id, triageId: workflowId };
  return {
    workflowId,
    searchAttributes: row.repository ? [{ key: RayneRepository, value: boundedKey(row.repository, MAX_KEY_BYTES) }] : [],
    payloads: [input],
  };
}

function resultOf(row: DeliveryRow, duplicate: boolean): GithubAcceptResult {
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
