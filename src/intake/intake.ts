import type { AccountStore } from '../accounts/store';
import { RayneFailure } from '../errors';
import type { Logger } from '../logger';
import { RayneAccount, RayneAlertStatus, RayneHost, RayneMonitorId, RayneService } from '../contracts/search-attributes';
import { alertDedupKey, type IncomingAlert, incidentWorkflowId } from './alert';
import { boundedKey, MAX_KEY_BYTES, storableJson, storableText } from './storable';
import { type StartRequest, StartRejectedError, WorkflowStarts, type WorkflowStartsDeps } from './workflow-starts';
import { type IncidentWorkflowInput, type Transition, transitionSignal } from '../contracts/incident';
import type { GroupSettings } from '../contracts/group';
import type { incidentWorkflow } from '../workflows';
import { EventStore, type EventRow } from '../events/store';
import { alertOf } from '../events/alert';

export interface IntakeDeps extends WorkflowStartsDeps {
  accounts: AccountStore;
  taskQueue: string;
  /** Incident-group settings new incident workflows start with; unset or a wait of 0: one RCA per alert. */
  grouping?: GroupSettings;
}

export interface AcceptResult {
  event_id: string;
  workflow_id: string;
  run_id: string | null;
  duplicate: boolean;
  /** Where the event is now (see EVENT_STATUSES): a redelivery of one that never started says so. */
  status: string;
}

/** An event whose workflow Temporal has just accepted. */
export interface StartedEvent {
  event_id: string;
  workflow_id: string;
  run_id: string;
  status: 'started';
}

/** Where a person asks for another start of a rejected or dead-lettered event. */
export const retryPath = (eventId: string) => `/v1/webhooks/events/${eventId}/retry`;

/** Thrown when a path names an account that does not exist. */
export class UnknownAccountError extends RayneFailure {
  constructor(account: string) {
    super('NotFound', `no account named "${account}"; create it with POST /v1/accounts or use /v1/webhooks/receive`, { account });
  }
}

/** Stores alerts from every source and hands them to Temporal: the durable half of the webhook path. */
export class Intake {
  private readonly events: EventStore;
  private readonly starts: WorkflowStarts<EventRow>;

  constructor(private readonly deps: IntakeDeps) {
    this.events = new EventStore(deps.db);
    // webhook_events rows carry their own source; 'datadog' stands for rows read without it.
    this.starts = new WorkflowStarts(deps, this.events.starts, 'datadog', 'incidentWorkflow');
  }

  /** The account a webhook belongs to: the path's, then the org_id's (Datadog's), then the default. */
  async routeAccount(pathAccount: string | undefined, orgId?: string): Promise<string> {
    if (pathAccount) {
      if (!(await this.deps.accounts.get(storableText(pathAccount)))) throw new UnknownAccountError(pathAccount);
      return pathAccount;
    }
    return (await this.deps.accounts.routeByOrg(orgId)) ?? 'default';
  }

  /**
   * Stores the event (once per dedup key), then starts or signals its incident workflow.
   * Resolves only after both; throws TemporalUnavailableError with the row kept pending, or
   * StartRejectedError with the row stored as rejected. Text Postgres cannot hold is stored
   * replaced (storableText); raw_body keeps what was sent. startTimeoutMs bounds the first start
   * for a sender that must be answered sooner than the Temporal timeout (PagerDuty).
   */
  async accept(pathAccount: string | undefined, received: IncomingAlert, startTimeoutMs?: number): Promise<AcceptResult> {
    // raw_body keeps the text as sent; everything else is stored as Postgres can hold it.
    const alert = storableJson({ ...received, rawBody: undefined });
    const account = await this.routeAccount(pathAccount, alert.orgId);
    const key = alertDedupKey(account, alert);
    const inserted = await this.events.insert(
      {
        ...alert,
        dedupKey: key,
        account,
        rawBody: received.rawBody,
        workflowId: incidentWorkflowId(account, alert),
      },
      this.starts.claimSeconds(),
    );
    if (inserted) return { ...(await this.start(inserted, startTimeoutMs)), duplicate: false };

    const existing = (await this.events.findByDedupKey(key))!;
    // A redelivery after our 503 is the sender retrying: try the start again instead of answering
    // "duplicate" — unless a concurrent copy is starting it right now.
    if (existing.status === 'pending_start') {
      const retried = await this.retryStart(existing, startTimeoutMs);
      if (retried) return { ...retried, duplicate: false };
    }
    // Sending a rejected event again cannot help; say so again, and how to retry, rather than "duplicate".
    if (existing.status === 'rejected')
      throw new StartRejectedError(existing.id, existing.last_error ?? 'rejected', retryPath(existing.id));
    return { event_id: existing.id, workflow_id: existing.workflow_id, run_id: existing.run_id, duplicate: true, status: existing.status };
  }

  /**
   * Starts a rejected or dead-lettered event against Temporal as it is now, with a fresh round of
   * attempts, and stores the outcome; undefined when no event with that id is in either state.
   * Throws as accept does, with the row stored pending (Temporal away or misconfigured) or rejected.
   */
  async retry(id: string): Promise<StartedEvent | undefined> {
    const row = await this.events.findRetryable(id);
    if (!row) return undefined;
    const runId = await this.starts.retryNotStarted(row, this.startRequestOf(row), () => this.send(row));
    return runId === undefined ? undefined : this.resultOf(row, runId);
  }

  /** Starts due pending events, oldest first, and returns how many (see WorkflowStarts.reconcile). */
  async reconcilePending(ignoreBackoff = false, limit = 100): Promise<number> {
    return this.starts.reconcile(
      (ignoringBackoff) => this.events.dueForStart(ignoringBackoff, limit),
      (row) => this.retryStart(row),
      ignoreBackoff,
    );
  }

  /** Undefined when another delivery holds the start (WorkflowStarts.retry). */
  private async retryStart(row: EventRow, timeoutMs?: number): Promise<StartedEvent | undefined> {
    const runId = await this.starts.retry(row, this.startRequestOf(row), () => this.send(row), timeoutMs);
    return runId === undefined ? undefined : this.resultOf(row, runId);
  }

  private async start(row: EventRow, timeoutMs?: number): Promise<StartedEvent> {
    return this.resultOf(row, await this.starts.start(row, this.startRequestOf(row), () => this.send(row), timeoutMs));
  }

  private resultOf(row: EventRow, runId: string): StartedEvent {
    return { event_id: row.id, workflow_id: row.workflow_id, run_id: runId, status: 'started' };
  }

  private startRequestOf(row: EventRow): StartRequest {
    const { grouping } = this.deps;
    const input: IncidentWorkflowInput = {
      account: row.account,
      monitorId: row.monitor_id,
      scope: row.scope,
      ...(grouping && grouping.waitS > 0 ? { grouping } : {}),
    };
    return { workflowId: row.workflow_id, searchAttributes: searchAttributesOf(row), payloads: [[input], [transitionOf(row)]] };
  }

  /** Signal-with-start: the workflow ignores a signal it has seen, so sending it twice is harmless. */
  private async send(row: EventRow): Promise<string> {
    const request = this.startRequestOf(row);
    const handle = await this.deps.temporal.workflow.signalWithStart<typeof incidentWorkflow, [Transition]>('incidentWorkflow', {
      workflowId: row.workflow_id,
      taskQueue: this.deps.taskQueue,
      args: request.payloads[0] as [IncidentWorkflowInput],
      signal: transitionSignal,
      signalArgs: request.payloads[1] as [Transition],
      typedSearchAttributes: request.searchAttributes as SearchAttributePair[],
    });
    return handle.signaledRunId;
  }
}

function transitionOf(row: EventRow): Transition {
  const a = alertOf(row);
  return {
    eventId: a.id,
    status: a.status,
    receivedAt: a.receivedAt,
    monitorId: a.monitorId,
    monitorName: a.monitorName,
    title: a.title,
    service: a.service,
    hostname: a.hostname,
    priority: a.priority,
  };
}

/** The search attributes an event's workflows are found by in the Web UI (monitor, alert status, account, service, host), each bounded to what Temporal accepts. */
export function searchAttributesOf(
  row: Pick<EventRow, 'monitor_id' | 'alert_status' | 'account' | 'service' | 'hostname'>,
): SearchAttributePair[] {
  const pairs = [
    { key: RayneMonitorId, value: row.monitor_id },
    { key: RayneAlertStatus, value: row.alert_status },
    { key: RayneAccount, value: row.account },
    { key: RayneService, value: row.service },
    { key: RayneHost, value: row.hostname },
  ];
  return pairs
    .filter((p): p is SearchAttributePair => typeof p.value === 'string' && p.value !== '')
    .map((p) => ({ key: p.key, value: boundedKey(p.value, MAX_KEY_BYTES) }));
}

type SearchAttributePair = { key: typeof RayneMonitorId; value: string };

/** Anything that keeps deliveries whose workflow start failed, and starts them later. */
export interface PendingStarts {
  /** Starts what is due; with ignoreBackoff, everything pending (Temporal has just come back). */
  reconcilePending(ignoreBackoff?: boolean): Promise<number>;
}

/** A running reconciler: wake() runs a round now (after the one in progress) with every pending event due, stop() ends it. */
export interface Reconciler {
  wake(): void;
  stop(): Promise<void>;
}

/** Runs reconcilePending of each intake on an interval, and when woken, until stopped; never overlaps itself. */
export function startReconciler(intakes: PendingStarts[], intervalMs: number, log: Logger): Reconciler {
  let running: Promise<unknown> = Promise.resolve();
  const round = (ignoreBackoff: boolean) => {
    running = running.then(() =>
      Promise.all(
        intakes.map((intake) =>
          intake.reconcilePending(ignoreBackoff).then(
            (started) => started > 0 && log.info({ started }, 'reconciler started pending events'),
            (err) => log.error({ err: (err as Error).message }, 'reconciler failed'),
          ),
        ),
      ),
    );
  };
  const timer = setInterval(() => round(false), intervalMs);
  timer.unref();
  return {
    wake: () => round(true),
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
