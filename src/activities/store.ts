import type { Db } from '../db/pool';
import type { TransitionRecord } from '../contracts/incident';

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
