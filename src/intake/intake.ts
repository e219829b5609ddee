import type { Client } from '@temporalio/client';
import type { AccountStore } from '../accounts/store';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { ApiMetrics } from '../telemetry/metrics';
import type { Transition } from '../workflows/incident-state';
import { transitionSignal } from '../workflows/incident-workflow';
import { RayneAccount, RayneAlertStatus, RayneHost, RayneMonitorId, RayneService } from '../workflows/search-attributes';
import { type DatadogAlert, dedupKey, incidentScope, incidentWorkflowId, serviceOf } from './datadog-payload';

export interface IntakeDeps {
  db: Db;
  accounts: AccountStore;
  temporal: Client;
  taskQueue: string;
  /** How long one start or signal may take before the event is left pending. */
  temporalTimeoutMs: number;
  log: Logger;
  metrics: ApiMetrics;
}

export interface AcceptResult {
  event_id: string;
  workflow_id: string;
  run_id: string | null;
  duplicate: boolean;
}

/** Thrown when a path names an account that does not exist. */
export class UnknownAccountError extends Error {
  constructor(readonly account: string) {
    super(`no account named "${account}"; create it with POST /v1/accounts or use /v1/webhooks/receive`);
    this.name = 'UnknownAccountError';
  }
}

/** Thrown when Temporal did not accept the start; the event stays pending_start for the reconciler. */
export class TemporalUnavailableError extends Error {
  constructor(readonly eventId: string, cause: unknown) {
    super(`Temporal did not accept the workflow start (event ${eventId} is kept and will be started when Temporal is back): ${(cause as Error).message}`);
    this.name = 'TemporalUnavailableError';
  }
}

interface EventRow {
  id: string;
  account: string;
  workflow_id: string;
  run_id: string | null;
  status: string;
  monitor_id: string;
  alert_status: string;
  monitor_name: string | null;
  hostname: string | null;
  service: string | null;
  scope: string;
  received_at: Date;
  payload: Record<string, unknown>;
}

const EVENT_COLUMNS = 'id::text, account, workflow_id, run_id, status, monitor_id, alert_status, monitor_name, hostname, service, scope, received_at, payload';

/** Stores Datadog alerts and hands them to Temporal: the durable half of the webhook path. */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** The account a webhook belongs to: the path's, then the org_id's, then the default. */
  async routeAccount(pathAccount: string | undefined, alert: DatadogAlert): Promise<string> {
    if (pathAccount) {
      if (!(await this.deps.accounts.get(pathAccount))) throw new UnknownAccountError(pathAccount);
      return pathAccount;
    }
    return (await this.deps.accounts.routeByOrg(alert.org_id)) ?? 'default';
  }

  /**
   * Stores the event (once per dedup key), then starts or signals its incident workflow.
   * Resolves only after both; throws TemporalUnavailableError with the row kept pending.
   */
  async accept(pathAccount: string | undefined, alert: DatadogAlert, raw: Record<string, unknown>, rawBody?: string): Promise<AcceptResult> {
    const account = await this.routeAccount(pathAccount, alert);
    const key = dedupKey(account, alert, raw);
    const { rows } = await this.deps.db.query<EventRow>(
      `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_id, transition_id, alert_status,
         monitor_name, hostname, service, scope, event_time, payload, raw_body, status, workflow_id, start_attempts, last_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, 'pending_start', $13, 1, now())
       ON CONFLICT (dedup_key) DO NOTHING RETURNING ${EVENT_COLUMNS}`,
      [
        key, account, alert.monitor_id, alert.alert_id ?? null, alert.transition_id ?? null,
        alert.alert_status, alert.monitor_name ?? null, alert.hostname ?? null, serviceOf(alert) ?? null,
        incidentScope(alert), alert.timestamp ?? null, JSON.stringify(raw), incidentWorkflowId(account, alert), rawBody ?? null,
      ],
    );
    const inserted = rows[0];
    if (inserted) return { ...(await this.start(inserted)), duplicate: false };

    const existing = await this.findByDedupKey(key);
    // A redelivery after our 503 is the sender retrying: try the start again instead of answering "duplicate".
    if (existing.status === 'pending_start') return { ...(await this.retryStart(existing)), duplicate: false };
    return { event_id: existing.id, workflow_id: existing.workflow_id, run_id: existing.run_id, duplicate: true };
  }

  /** Starts pending events, oldest first, and returns how many; stops at the first failure (Temporal is still away). */
  async reconcilePending(limit = 100): Promise<number> {
    const { rows } = await this.deps.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE status = 'pending_start'
        AND (last_attempt_at IS NULL OR last_attempt_at < now() - interval '1 second')
        ORDER BY id LIMIT $1`,
      [limit],
    );
    return startInOrder(rows, (row) => this.retryStart(row));
  }

  private async findByDedupKey(key: string): Promise<EventRow> {
    const { rows } = await this.deps.db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE dedup_key = $1`, [key]);
    return rows[0]!;
  }

  /** Counts another attempt (the first is counted by the INSERT), then starts. */
  private async retryStart(row: EventRow): Promise<Omit<AcceptResult, 'duplicate'>> {
    await this.deps.db.query('UPDATE webhook_events SET start_attempts = start_attempts + 1, last_attempt_at = now() WHERE id = $1', [row.id]);
    return this.start(row);
  }

  private async start(row: EventRow): Promise<Omit<AcceptResult, 'duplicate'>> {
    const { temporal, taskQueue, temporalTimeoutMs, db, log, metrics } = this.deps;
    let accepted = false;
    try {
      const handle = await temporal.connection.withDeadline(Date.now() + temporalTimeoutMs, () =>
        temporal.workflow.signalWithStart('incidentWorkflow', {
          workflowId: row.workflow_id,
          taskQueue,
          args: [{ account: row.account, monitorId: row.monitor_id, scope: row.scope }],
          signal: transitionSignal,
          signalArgs: [transitionOf(row)],
          typedSearchAttributes: searchAttributesOf(row),
        }),
      );
      accepted = true;
      metrics.workflowsStarted.inc({ workflow_type: 'incidentWorkflow' });
      // The workflow ignores a signal it has seen, so a retry after this UPDATE fails is harmless.
      await db.query(
        `UPDATE webhook_events SET status = 'started', run_id = $2, started_at = now(), last_error = NULL
          WHERE id = $1 AND status = 'pending_start'`,
        [row.id, handle.signaledRunId],
      );
      return { event_id: row.id, workflow_id: row.workflow_id, run_id: handle.signaledRunId };
    } catch (err) {
      if (!accepted) metrics.workflowStartFailures.inc({ workflow_type: 'incidentWorkflow' });
      await db.query('UPDATE webhook_events SET last_error = $2 WHERE id = $1', [row.id, (err as Error).message.slice(0, 500)]);
      log.warn({ eventId: row.id, workflowId: row.workflow_id, err: (err as Error).message }, 'temporal start failed; event kept pending');
      throw new TemporalUnavailableError(row.id, err);
    }
  }
}

function transitionOf(row: EventRow): Transition {
  const p = row.payload;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    eventId: row.id,
    status: row.alert_status as Transition['status'],
    receivedAt: row.received_at.toISOString(),
    monitorId: row.monitor_id,
    monitorName: row.monitor_name ?? undefined,
    title: text(p.alert_title),
    service: row.service ?? undefined,
    hostname: row.hostname ?? undefined,
    priority: text(p.priority),
  };
}

/** The search attributes an event's workflows are found by in the Web UI: monitor, alert status, account, service, host. */
export function searchAttributesOf(row: Pick<EventRow, 'monitor_id' | 'alert_status' | 'account' | 'service' | 'hostname'>) {
  const pairs = [
    { key: RayneMonitorId, value: row.monitor_id },
    { key: RayneAlertStatus, value: row.alert_status },
    { key: RayneAccount, value: row.account },
    { key: RayneService, value: row.service },
    { key: RayneHost, value: row.hostname },
  ];
  return pairs.filter((p): p is { key: typeof RayneMonitorId; value: string } => typeof p.value === 'string' && p.value !== '');
}

/** Starts pending rows oldest first and returns how many; stops at the first one Temporal refuses (it is still away). */
export async function startInOrder<R>(rows: readonly R[], start: (row: R) => Promise<unknown>): Promise<number> {
  let started = 0;
  for (const row of rows) {
    try {
      await start(row);
      started += 1;
    } catch (err) {
      if (err instanceof TemporalUnavailableError) return started;
      throw err;
    }
  }
  return started;
}

/** Anything that keeps deliveries whose workflow start failed, and starts them later. */
export interface PendingStarts {
  reconcilePending(): Promise<number>;
}

/** Runs reconcilePending of each intake on an interval until stopped; never overlaps itself. */
export function startReconciler(intakes: PendingStarts[], intervalMs: number, log: Logger): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      Promise.all(intakes.map((intake) => intake.reconcilePending().then(
        (started) => started > 0 && log.info({ started }, 'reconciler started pending events'),
        (err) => log.error({ err: (err as Error).message }, 'reconciler failed'),
      ))),
    );
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
