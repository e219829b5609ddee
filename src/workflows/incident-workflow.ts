import {
  allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, proxyActivities,
  setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { applyTransition, initialState, type IncidentKey, type IncidentState, type Transition, type TransitionDecision } from './incident-state';
import { RayneAlertStatus } from './search-attributes';

export const transitionSignal = defineSignal<[Transition]>('transition');
export const stateQuery = defineQuery<IncidentState>('state');
export const transitionsQuery = defineQuery<ProcessedTransition[]>('transitions');

export interface ProcessedTransition extends TransitionDecision {
  eventId: string;
  receivedAt: string;
}

export interface IncidentWorkflowInput extends IncidentKey {
  /** Carried over continue-as-new. */
  state?: IncidentState;
  seenEventIds?: string[];
}

const FATAL = ['BadRequest', 'Unauthorized', 'NotFound'];
// Recording is a single UPDATE; retry through database restarts.
const store = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '1m', nonRetryableErrorTypes: FATAL },
});

// Keep history bounded for monitors that flap for weeks.
const CONTINUE_AS_NEW_AFTER = 500;
const SEEN_IDS_KEPT = 200;

/**
 * One per monitor and scope (id incident/{account}/{monitorId}/{scope}), fed by signal-with-start.
 * Processes transitions in arrival order, ignores redelivered event ids, and completes once an
 * open episode recovers.
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  let state = input.state ?? initialState(input);
  const seen = new Set(input.seenEventIds ?? []);
  const queue: Transition[] = [];
  const processed: ProcessedTransition[] = [];

  setHandler(transitionSignal, (t) => {
    if (seen.has(t.eventId)) return;
    seen.add(t.eventId);
    queue.push(t);
  });
  setHandler(stateQuery, () => state);
  setHandler(transitionsQuery, () => processed);

  for (;;) {
    await condition(() => queue.length > 0);
    while (queue.length > 0) {
      const t = queue.shift()!;
      const { state: next, decision } = applyTransition(state, t);
      state = next;
      upsertSearchAttributes([{ key: RayneAlertStatus, value: t.status }]);
      // Seam: tier-1 processors and the rcaWorkflow child act on `decision` here (later issues).
      await store.recordTransition(t.eventId, decision);
      processed.push({ ...decision, eventId: t.eventId, receivedAt: t.receivedAt });
    }
    if (!state.open) break;
    if (processed.length >= CONTINUE_AS_NEW_AFTER) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflow>({ ...input, state, seenEventIds: [...seen].slice(-SEEN_IDS_KEPT) });
    }
  }
  await condition(allHandlersFinished);
  return state;
}
