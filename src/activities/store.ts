import type { Db } from '../db/pool';
import type { TransitionRecord } from '../contracts/incident';
import { EventStore } from '../events/store';

export interface StoreDeps {
  db: Db;
}

export const createStoreActivities = ({ db }: StoreDeps) => {
  const events = new EventStore(db);
  return {
    /** Records how the incident workflow processed one transition; a retry writes the same row again (EventStore.recordTransition). */
    recordTransition: (eventId: string, decision: TransitionRecord): Promise<void> => events.recordTransition(eventId, decision),
  };
};
