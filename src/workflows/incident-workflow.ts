import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { failureReason } from '../errors';
import { NOTEBOOK_OPTIONS, processorOptions, STORE_OPTIONS } from './activity-options';
import { applyTransition, initialState } from './incident-state';
import { selectProcessors } from './processor-selection';
import { rcaWorkflow } from './rca-workflow';
import { RayneAlertStatus } from '../contracts/search-attributes';
import {
  type IncidentState,
  type IncidentWorkflowInput,
  type ProcessedTransition,
  type ProcessorName,
  type ProcessorTask,
  stateQuery,
  type Transition,
  type TransitionDecision,
  transitionSignal,
  transitionsQuery,
  type TransitionRecord,
} from '../contracts/incident';

const store = proxyActivities<Activities>(STORE_OPTIONS);
const notebookActivities = proxyActivities<Activities>(NOTEBOOK_OPTIONS);

const ACTIVITY_OF: Record<ProcessorName, 'notifyProcessor' | 'forwardProcessor' | 'slackProcessor' | 'downtimeProcessor'> = {
  notify: 'notifyProcessor',
  forward: 'forwardProcessor',
  slack: 'slackProcessor',
  downtime: 'downtimeProcessor',
};

/** Runs one processor task; its failure is logged and recorded by the activity, never thrown to the others. */
async function runProcessor(eventId: string, task: ProcessorTask): Promise<void> {
  const activity = proxyActivities<Activities>(processorOptions(task))[ACTIVITY_OF[task.processor]];
  try {
    await activity(eventId, task);
  } catch (err) {
    log.warn('tier-1 processor failed', { eventId, processor: task.processor, target: task.label, error: failureReason(err) });
  }
}

/** Tier-1 for one transition: plan, select (pure), run all in parallel. */
async function runTier1(eventId: string, decision: TransitionDecision): Promise<TransitionRecord['tier1']> {
  const plan = await store.planTier1(eventId);
  const { tasks, skipped, flapping } = selectProcessors(plan, decision);
  await Promise.all(tasks.map((task) => runProcessor(eventId, task)));
  return { ran: tasks.map((t) => `${t.processor}:${t.label}${t.mode === 'flapping' ? ' (flapping notice)' : ''}`), skipped, flapping };
}

/**
 * Starts rca/{eventId} as a child that outlives this workflow (an incident may recover before its
 * RCA ends). A child that already exists (a replayed or redelivered start) is left alone.
 */
async function startRca(eventId: string): Promise<string | undefined> {
  const rcaId = `rca/${eventId}`;
  try {
    await startChild(rcaWorkflow, {
      workflowId: rcaId,
      args: [{ eventId, rcaId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    });
    return rcaId;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return rcaId;
    throw err;
  }
}

/** On recovery, marks the incident's RCA notebooks RESOLVED; one that cannot be marked is logged, not fatal. */
async function resolveNotebooks(): Promise<void> {
  for (const rcaId of await store.unresolvedNotebooks(workflowInfo().workflowId)) {
    await notebookActivities
      .resolveNotebook(rcaId)
      .catch((err) => log.warn('notebook not marked resolved', { rcaId, error: failureReason(err) }));
  }
}

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
      const [tier1, rcaId] = await Promise.all([
        runTier1(t.eventId, decision),
        decision.startRca ? startRca(t.eventId) : undefined,
        decision.closesIncident ? resolveNotebooks() : undefined,
      ]);
      const record: TransitionRecord = { ...decision, tier1, ...(rcaId ? { rcaId } : {}) };
      await store.recordTransition(t.eventId, record);
      processed.push({ ...record, eventId: t.eventId, receivedAt: t.receivedAt });
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
