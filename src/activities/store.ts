import type { Db } from '../db/pool';
import type { TransitionDecision } from '../workflows/incident-state';
import type { Tier1Selection } from '../workflows/processor-selection';

/** What the incident workflow decided for one transition and which tier-1 processors it ran or skipped. */
export interface TransitionRecord extends TransitionDecision {
  tier1?: Pick<Tier1Selection, 'skipped' | 'flapping'> & { ran: string[] };
  /** The RCA child started for this transition. */
  rcaId?: string;
}

export interface StoreDeps {
  db: Db;
}

export const createStoreActivities = ({ db }: StoreDeps) => ({
  /**
   * Records how the incident workflow processed one transition. An UPDATE keyed by event id,
   * so a retried activity writes the same row again and nothing twice.
   */
  async recordTransition(eventId: string, decision: TransitionRecord): Promise<void> {
    await db.query(
      `UPDATE webhook_events
          SET status = 'processed', processing = $2, processed_at = coalesce(processed_at, now())
        WHERE id = $1`,
      [eventId, JSON.stringify(decision)],
    );
  },
});
