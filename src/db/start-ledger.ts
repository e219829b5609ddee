import { RETRYABLE_STATES } from '../contracts/alert';
import type { Db } from './pool';

/** The tables whose rows each ask for one workflow start, with the columns that track it. */
export type StartTable = 'webhook_events' | 'github_issue_events';

// Reconciler back-off after each failed start of one row: 1 s, 2 s, 4 s … up to 5 minutes.
const MAX_BACKOFF_SECONDS = 300;

/** SQL for the end of a start claim taken now that lasts claimSeconds (a number from config, never input). */
export function claimUntil(claimSeconds: number): string {
  if (!Number.isFinite(claimSeconds)) throw new Error(`claim of ${claimSeconds} seconds`);
  return `now() + make_interval(secs => ${claimSeconds})`;
}

/**
 * The start bookkeeping columns of one table (status, run_id, start_attempts, last_attempt_at,
 * start_claimed_until, last_error, started_at): the writes WorkflowStarts makes as a start goes.
 * The store that owns the table holds it; the table name comes from that store, never from input.
 */
export class StartLedger {
  constructor(
    private readonly db: Db,
    private readonly table: StartTable,
  ) {}

  /** A start that may succeed later: the row stays pending_start with the error, its claim released. */
  async keepPending(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE ${this.table} SET last_error = $2, start_claimed_until = NULL WHERE id = $1`, [id, error.slice(0, 500)]);
  }

  /** The run Temporal accepted, for a row still pending_start. */
  async markStarted(id: string, runId: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.table} SET status = 'started', run_id = $2, started_at = now(), last_error = NULL, start_claimed_until = NULL WHERE id = $1 AND status = 'pending_start'`,
      [id, runId],
    );
  }

  /** Claims a pending row for another attempt; false when a start of it is in flight elsewhere, or it is no longer pending. */
  async claimRetry(id: string, claimSeconds: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE ${this.table} SET start_attempts = start_attempts + 1, last_attempt_at = now(), start_claimed_until = ${claimUntil(claimSeconds)}
       WHERE id = $1 AND status = 'pending_start' AND (start_claimed_until IS NULL OR start_claimed_until < now())`,
      [id],
    );
    return rowCount === 1;
  }

  /** Moves a rejected or dead-lettered row back to pending_start with a fresh round of attempts, claimed; false when it is in neither state. */
  async reopen(id: string, claimSeconds: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE ${this.table} SET status = 'pending_start', start_attempts = 1, last_attempt_at = now(), start_claimed_until = ${claimUntil(claimSeconds)}
       WHERE id = $1 AND status = ANY($2)`,
      [id, RETRYABLE_STATES],
    );
    return rowCount === 1;
  }

  /** A start Temporal will never accept as it is. */
  async reject(id: string, reason: string): Promise<void> {
    await this.db.query(`UPDATE ${this.table} SET status = 'rejected', last_error = $2 WHERE id = $1`, [id, reason.slice(0, 500)]);
  }

  /** A pending row whose starts kept failing. */
  async deadLetter(id: string): Promise<void> {
    await this.db.query(`UPDATE ${this.table} SET status = 'dead_letter' WHERE id = $1 AND status = 'pending_start'`, [id]);
  }

  /** SQL for the rows due for a start: pending, and past their back-off unless ignoreBackoff. */
  dueCondition(ignoreBackoff: boolean): string {
    const backedOff = `(last_attempt_at IS NULL
      OR last_attempt_at < now() - make_interval(secs => least(${MAX_BACKOFF_SECONDS}, power(2, greatest(start_attempts - 1, 0)))))`;
    return `status = 'pending_start'${ignoreBackoff ? '' : ` AND ${backedOff}`}`;
  }
}
