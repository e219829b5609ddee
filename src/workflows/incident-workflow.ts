import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
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
import { type GroupJoin, type GroupSettings, type JoinedGroup, memberRecoveredSignal } from '../contracts/group';
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

/**
 * The group member an episode is: one per episode, so an escalation joins as the same member. The
 * workflow id comes back for the monitor's next incident, so the chain's first run id tells them apart.
 */
const memberKeyOf = (state: IncidentState) => `${workflowInfo().workflowId}#${workflowInfo().firstExecutionRunId}#${state.episode}`;
// What episodes joined as before their keys named the run; carried over continue-as-new in their group.
const legacyMemberKeyOf = (state: IncidentState) => `${workflowInfo().workflowId}#${state.episode}`;

/** Joins the episode's alert to its incident group; the group decides when its one RCA starts. */
async function joinGroup(state: IncidentState, t: Transition, settings: GroupSettings): Promise<JoinedGroup> {
  const memberKey = memberKeyOf(state);
  const joined = await store.joinGroup(
    {
      memberKey,
      eventId: t.eventId,
      account: state.account,
      monitorId: t.monitorId,
      monitorName: t.monitorName,
      service: t.service,
      hostname: t.hostname,
      status: t.status,
      alertedAt: t.receivedAt,
    },
    settings,
  );
  return { ...joined, memberKey };
}

/** Tells the group this member recovered; a group that is gone (terminated) is logged, not fatal. */
async function leaveGroup(group: GroupJoin, memberKey: string): Promise<void> {
  await getExternalWorkflowHandle(group.workflowId)
    .signal(memberRecoveredSignal, memberKey)
    .catch((err) => log.warn('group not told of a recovery', { groupId: group.groupId, error: failureReason(err) }));
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
  // Incidents started before incident groups (or with RAYNE_GROUP_WAIT_S=0) start one RCA per alert.
  const grouping = input.grouping && input.grouping.waitS > 0 && patched('incident-groups') ? input.grouping : undefined;
  let group = input.group;
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
      const joining = grouping && decision.startRca;
      const [tier1, rcaId, joined] = await Promise.all([
        runTier1(t.eventId, decision),
        decision.startRca && !grouping ? startRca(t.eventId) : undefined,
        joining ? joinGroup(state, t, grouping) : undefined,
        decision.closesIncident ? resolveNotebooks() : undefined,
        decision.closesIncident && group ? leaveGroup(group, group.memberKey ?? legacyMemberKeyOf(state)) : undefined,
      ]);
      if (joined) group = joined;
      if (decision.closesIncident) group = undefined;
      const record: TransitionRecord = { ...decision, tier1, ...(rcaId ? { rcaId } : {}), ...(joined ? { groupId: joined.groupId } : {}) };
      await store.recordTransition(t.eventId, record);
      processed.push({ ...record, eventId: t.eventId, receivedAt: t.receivedAt });
    }
    if (!state.open) break;
    if (processed.length >= CONTINUE_AS_NEW_AFTER) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflow>({ ...input, state, group, seenEventIds: [...seen].slice(-SEEN_IDS_KEPT) });
    }
  }
  await condition(allHandlersFinished);
  return state;
}
