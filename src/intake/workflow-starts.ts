import { type Client, isGrpcServiceError } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import type { Db } from '../db/pool';
import { RayneFailure } from '../errors';
import type { Logger } from '../logger';
import type { ApiMetrics, WebhookSource } from '../telemetry/metrics';
import { temporalConfigurationProblem, temporalState } from '../temporal/connection';
import { jsonBytes } from './storable';
import type { StartLedger } from '../db/start-ledger';
import { EventStore } from '../events/store';
import { DeliveryStore } from '../github/delivery-store';

/** Temporal's default limits (frontend dynamic config); a start over them is refused for good. */
export const TEMPORAL_LIMITS = { workflowIdBytes: 1000, searchAttributeBytes: 2048, payloadBytes: 2 * 1024 * 1024 } as const;

/** Thrown when Temporal did not accept the start for now; the event stays pending_start for the reconciler. */
export class TemporalUnavailableError extends RayneFailure {
  constructor(eventId: string, cause: unknown) {
    super(
      'Unavailable',
      `Temporal did not accept the workflow start (event ${eventId} is kept and will be started when Temporal is back): ${describe(cause)}`,
      { eventId },
    );
  }
}

/**
 * Thrown when Temporal answers but refuses Rayne's own setup (a wrong TEMPORAL_NAMESPACE, refused
 * credentials, unregistered search attributes); the event stays pending_start until that is fixed.
 */
export class TemporalNotConfiguredError extends RayneFailure {
  constructor(eventId: string, problem: string) {
    super(
      'NotConfigured',
      `Temporal cannot start workflows as Rayne is configured (${problem}); event ${eventId} is kept and started once that is fixed`,
      { eventId, upstream: 'Temporal' },
    );
  }
}

/** Thrown when Temporal will never accept the start as it is; the event is stored as rejected with the reason. */
export class StartRejectedError extends RayneFailure {
  /** retry: where to ask for a retry once the cause is fixed, when the event's source has one. */
  constructor(eventId: string, reason: string, retry?: string) {
    super(
      'Rejected',
      `event ${eventId} is stored as rejected: Temporal cannot start its workflow (${reason}); sending it again will not help` +
        (retry ? `; once the cause is fixed, retry it with POST ${retry}` : ''),
      { eventId },
    );
  }
}

/** A failed start after which the event is kept pending_start: Temporal is away, or refuses Rayne's setup for now. */
const keptPending = (err: unknown): err is TemporalUnavailableError | TemporalNotConfiguredError =>
  err instanceof TemporalUnavailableError || err instanceof TemporalNotConfiguredError;

/** What a start sends Temporal, for checking against its limits before sending. */
export interface StartRequest {
  workflowId: string;
  searchAttributes: ReadonlyArray<{ key: { name: string }; value: string }>;
  payloads: unknown[];
}

/** Why Temporal would refuse this start for good, or undefined when it fits. */
export function startLimitProblem({ workflowId, searchAttributes, payloads }: StartRequest): string | undefined {
  const idBytes = Buffer.byteLength(workflowId);
  if (idBytes > TEMPORAL_LIMITS.workflowIdBytes)
    return `workflow id is ${idBytes} bytes, over Temporal's ${TEMPORAL_LIMITS.workflowIdBytes}`;
  for (const { key, value } of searchAttributes) {
    const bytes = jsonBytes(value);
    if (bytes > TEMPORAL_LIMITS.searchAttributeBytes)
      return `search attribute ${key.name} is ${bytes} bytes, over Temporal's ${TEMPORAL_LIMITS.searchAttributeBytes}`;
  }
  const bytes = jsonBytes(payloads);
  if (bytes > TEMPORAL_LIMITS.payloadBytes) return `workflow input is ${bytes} bytes, over Temporal's ${TEMPORAL_LIMITS.payloadBytes}`;
  return undefined;
}

// gRPC codes of requests Temporal refuses as they are (google.rpc.Code): retrying cannot help.
const INVALID_ARGUMENT = 3;
const OUT_OF_RANGE = 11;

/** The reason a start failed for good (invalid argument, too large, unencodable), or undefined when it may succeed later. */
export function permanentFailureReason(err: unknown): string | undefined {
  if (err instanceof ValueError) return describe(err);
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (!isGrpcServiceError(e)) continue;
    const code: number = e.code;
    if (code === INVALID_ARGUMENT || code === OUT_OF_RANGE) return e.details || e.message;
  }
  return undefined;
}

/** The message and the gRPC detail under it: "Failed to start Workflow" alone says nothing. */
function describe(err: unknown): string {
  const message = (err as Error).message;
  const cause = (err as Error).cause;
  const detail = isGrpcServiceError(cause) ? cause.details : undefined;
  return detail && !message.includes(detail) ? `${message}: ${detail}` : message;
}

export interface PendingRow {
  id: string;
  workflow_id: string | null;
  start_attempts: number;
  /** Where the event came from, for a table that holds several sources (webhook_events); else the table's. */
  source?: WebhookSource;
}

export interface WorkflowStartsDeps {
  db: Db;
  temporal: Client;
  temporalTimeoutMs: number;
  /** Failed starts after which the reconciler moves an event to dead_letter. */
  maxStartAttempts: number;
  log: Logger;
  metrics: ApiMetrics;
}

/**
 * Adds the events stored rejected or dead_letter now to rayne_events_not_started_total, so the
 * series does not drop to zero when the API restarts while they wait for a person. Call once, at start.
 */
export async function restoreNotStartedCounts(db: Db, metrics: ApiMetrics): Promise<void> {
  for (const r of await new EventStore(db).notStartedCounts()) metrics.eventsNotStarted.inc({ source: r.source, state: r.status }, r.n);
  for (const r of await new DeliveryStore(db).notStartedCounts()) metrics.eventsNotStarted.inc({ source: 'github', state: r.status }, r.n);
}

/**
 * The start bookkeeping both intakes share, over their table's ledger: a start runs under the Temporal
 * deadline and ends started, pending_start (Temporal away), or rejected (never startable); the
 * reconciler retries pending rows with back-off and moves one that keeps failing to dead_letter.
 */
export class WorkflowStarts<R extends PendingRow> {
  /** source: what the metrics and logs name for a row that does not carry its own. */
  constructor(
    private readonly deps: WorkflowStartsDeps,
    private readonly ledger: StartLedger,
    private readonly source: WebhookSource,
    private readonly workflowType: string,
  ) {}

  /**
   * Checks the request against Temporal's limits, sends it within timeoutMs (by default the
   * configured Temporal timeout), and records the outcome; resolves to the run id.
   */
  async start(row: R, request: StartRequest, send: () => Promise<string>, timeoutMs = this.deps.temporalTimeoutMs): Promise<string> {
    const { temporal, metrics } = this.deps;
    const tooBig = startLimitProblem(request);
    if (tooBig) return this.reject(row, tooBig);
    let runId: string;
    try {
      runId = await temporal.connection.withDeadline(Date.now() + timeoutMs, send);
    } catch (err) {
      metrics.workflowStartFailures.inc({ workflow_type: this.workflowType });
      // Checked first: an unregistered search attribute is an invalid argument, but the event is not at fault.
      const misconfigured = temporalConfigurationProblem(err);
      const reason = misconfigured ? undefined : permanentFailureReason(err);
      if (reason) return this.reject(row, reason);
      await this.ledger.keepPending(row.id, misconfigured ?? describe(err));
      if (misconfigured) {
        this.deps.log.error(
          { eventId: row.id, workflowId: row.workflow_id, problem: misconfigured },
          "temporal refuses Rayne's setup; event kept pending",
        );
        throw new TemporalNotConfiguredError(row.id, misconfigured);
      }
      this.deps.log.warn({ eventId: row.id, workflowId: row.workflow_id, err: describe(err) }, 'temporal start failed; event kept pending');
      throw new TemporalUnavailableError(row.id, err);
    }
    metrics.workflowsStarted.inc({ workflow_type: this.workflowType });
    // A retry after this UPDATE fails finds the run again (signal ids, REJECT_DUPLICATE), so it is harmless.
    await this.ledger.markStarted(row.id, runId);
    return runId;
  }

  /**
   * Claims the row for another attempt (the INSERT claims the first), then starts; undefined when
   * a start of it is in flight elsewhere, so copies arriving together start it once.
   */
  async retry(row: R, request: StartRequest, send: () => Promise<string>, timeoutMs?: number): Promise<string | undefined> {
    if (!(await this.ledger.claimRetry(row.id, this.claimSeconds()))) return undefined;
    return this.start({ ...row, start_attempts: row.start_attempts + 1 }, request, send, timeoutMs);
  }

  /**
   * Moves a rejected or dead-lettered row back to pending_start with a fresh round of attempts and
   * starts it against Temporal as it is now, storing the outcome as start does; undefined when the
   * row is in neither state any more (so two retries at once start it once).
   */
  async retryNotStarted(row: R, request: StartRequest, send: () => Promise<string>): Promise<string | undefined> {
    if (!(await this.ledger.reopen(row.id, this.claimSeconds()))) return undefined;
    this.deps.log.info({ eventId: row.id, workflowId: row.workflow_id, source: row.source ?? this.source }, 'event retried by request');
    return this.start({ ...row, start_attempts: 1 }, request, send);
  }

  /** How long a start claim lasts: as long as a start can take (the Temporal deadline), and a second. */
  claimSeconds(): number {
    return this.deps.temporalTimeoutMs / 1000 + 1;
  }

  /**
   * Starts due pending rows oldest first (selectDue picks them, see StartLedger.dueCondition); returns how many
   * started. Skips the round while Temporal does not answer or has no such namespace, so an outage
   * or a wrong TEMPORAL_NAMESPACE uses up no attempts. With ignoreBackoff (Temporal has just come
   * back), every pending row is due: the failures that grew a row's back-off were the outage's, as
   * each sender's retry during it was.
   */
  async reconcile(
    selectDue: (ignoreBackoff: boolean) => Promise<R[]>,
    startRow: (row: R) => Promise<unknown>,
    ignoreBackoff = false,
  ): Promise<number> {
    const { temporal, temporalTimeoutMs, maxStartAttempts } = this.deps;
    if ((await temporalState(temporal, temporalTimeoutMs)).state !== 'ok') return 0;
    return startInOrder(await selectDue(ignoreBackoff), async (row) => {
      try {
        return await startRow(row);
      } catch (err) {
        if (keptPending(err) && row.start_attempts + 1 >= maxStartAttempts) await this.deadLetter(row, err);
        throw err;
      }
    });
  }

  private async reject(row: R, reason: string): Promise<never> {
    await this.ledger.reject(row.id, reason);
    this.deps.metrics.eventsNotStarted.inc({ source: row.source ?? this.source, state: 'rejected' });
    this.deps.log.warn({ eventId: row.id, workflowId: row.workflow_id, reason }, 'event rejected: Temporal cannot start its workflow');
    throw new StartRejectedError(row.id, reason);
  }

  private async deadLetter(row: R, err: RayneFailure): Promise<void> {
    await this.ledger.deadLetter(row.id);
    this.deps.metrics.eventsNotStarted.inc({ source: row.source ?? this.source, state: 'dead_letter' });
    // Alert on this line (or on rayne_events_not_started_total{state="dead_letter"}): the event needs a person.
    this.deps.log.error(
      {
        eventId: row.id,
        workflowId: row.workflow_id,
        source: row.source ?? this.source,
        attempts: row.start_attempts + 1,
        err: err.message,
      },
      'event dead-lettered: its workflow start kept failing',
    );
  }
}

/**
 * Starts rows oldest first and returns how many started; stops at the first one Temporal did not
 * accept (it is away again, or refuses the setup), and goes on past one it rejected for good.
 */
export async function startInOrder<R>(rows: readonly R[], start: (row: R) => Promise<unknown>): Promise<number> {
  let started = 0;
  for (const row of rows) {
    try {
      await start(row);
      started += 1;
    } catch (err) {
      if (keptPending(err)) return started;
      if (!(err instanceof StartRejectedError)) throw err;
    }
  }
  return started;
}
