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
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { failureReason } from '../errors';
import { GROUP_SLACK_OPTIONS, NOTEBOOK_OPTIONS, STORE_OPTIONS } from './activity-options';
import {
  addMember,
  allRecovered,
  belowThreshold,
  everyRecoveryPassedOn,
  initialGroupState,
  markRecovered,
  nextRcaAt,
  nextRcaId,
  rcaStarted,
  passedOn,
  recoveriesToPassOn,
} from './group-state';
import { rcaWorkflow } from './rca-workflow';
import {
  type GroupJoin,
  groupMergedSignal,
  type GroupState,
  groupStateQuery,
  type GroupWorkflowInput,
  memberJoinedSignal,
  memberRecoveredSignal,
} from '../contracts/group';
import { RayneAccount, RayneGroupId } from '../contracts/search-attributes';

const store = proxyActivities<Activities>(STORE_OPTIONS);
const notebooks = proxyActivities<Activities>(NOTEBOOK_OPTIONS);
const slack = proxyActivities<Activities>(GROUP_SLACK_OPTIONS);

// Keep history bounded in a storm: members handled per run before continuing as new.
const CONTINUE_AS_NEW_AFTER = 200;

/**
 * group/{groupId}: one per incident group, fed by joinGroup's signal-with-start. Starts the group's
 * first RCA group_wait after its first member, re-analyses (bounded) when a member brings a new
 * service or host, and completes once every member has recovered and Postgres agrees it has them all.
 * A group formed by a rule with min_members starts no RCA until that many members joined.
 */
export async function groupWorkflow(input: GroupWorkflowInput): Promise<GroupState> {
  const { groupId, account, settings } = input;
  let state = input.state ?? initialGroupState(groupId, account);
  let handled = 0;
  setHandler(memberJoinedSignal, (member) => {
    state = addMember(state, member, Date.now());
    handled++;
  });
  setHandler(memberRecoveredSignal, (memberKey) => {
    state = markRecovered(state, memberKey);
    handled++;
  });
  setHandler(groupMergedSignal, (merged) => {
    state = { ...state, mergedInto: merged };
    handled++;
  });
  setHandler(groupStateQuery, () => state);

  for (;;) {
    const due = nextRcaAt(state, settings);
    if (state.mergedInto) {
      // Its members' incidents still signal this group: it passes their recoveries on until all are.
      const recoveries = recoveriesToPassOn(state);
      await passOnRecoveries(state.mergedInto.into, recoveries);
      state = passedOn(state, recoveries);
      if (everyRecoveryPassedOn(state)) break;
      // One that arrived while these were signalled has been counted already: pass it on before waiting.
      if (recoveriesToPassOn(state).length > 0) continue;
    } else if (due !== undefined && Date.now() >= due) {
      const rcaId = await startGroupRca(state);
      if (rcaId) state = rcaStarted(state, rcaId, Date.now());
      // Merged meanwhile: its signal is on the way.
      else await condition(() => state.mergedInto !== undefined);
      continue;
    } else if (allRecovered(state) && (state.rcaIds.length > 0 || belowThreshold(state, settings))) {
      // A group that recovered below its rule's threshold resolves without an RCA.
      const seen = state.members.length;
      if (await store.resolveGroup(groupId, seen)) break;
      // A member joined in Postgres whose signal has not arrived yet, or a merge's: wait for it.
      await condition(() => state.members.length > seen || state.mergedInto !== undefined);
      continue;
    }
    if (handled >= (input.continueAsNewAfter ?? CONTINUE_AS_NEW_AFTER)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof groupWorkflow>({ ...input, state });
    }
    const before = handled;
    const changed = () => handled > before;
    if (due === undefined) await condition(changed);
    else await condition(changed, Math.max(due - Date.now(), 1));
  }
  state = { ...state, resolved: true };
  // An RCA still running finds the group resolved when it publishes (incidentRecovered) and marks its own.
  for (const rcaId of state.rcaIds)
    await notebooks.resolveNotebook(rcaId).catch((err) => log.warn('notebook not marked resolved', { rcaId, error: failureReason(err) }));
  // Its members posted nothing to Slack on recovery; a group that reported says once that it is over
  // (a merged group's outage goes on in the group it was merged into).
  if (state.rcaIds.length > 0 && !state.mergedInto && patched('group-slack')) {
    await slack
      .postGroupSlack({ groupId, eventId: state.members[0]!.eventId, kind: 'resolved' })
      .catch((err) => log.warn('group resolution not posted to Slack', { groupId, error: failureReason(err) }));
  }
  await condition(allHandlersFinished);
  return state;
}

/**
 * Records the RCA under the group (so its evidence step finds every member), then starts it as a
 * child that outlives the group, and returns its id; undefined, and no RCA, when the group was
 * merged into another. One already started (a replayed start) is left alone.
 */
async function startGroupRca(state: GroupState): Promise<string | undefined> {
  const rcaId = nextRcaId(state);
  const eventId = state.members[0]!.eventId;
  // Histories from before merges recorded no answer: undefined means recorded.
  if ((await store.recordGroupRca(state.groupId, rcaId)) === false) return undefined;
  try {
    await startChild(rcaWorkflow, {
      workflowId: rcaId,
      args: [{ eventId, rcaId, groupId: state.groupId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: RayneGroupId, value: state.groupId },
        { key: RayneAccount, value: state.account },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return rcaId;
}

/** Signals the group a merged group went into that these members recovered; one it cannot reach is logged. */
async function passOnRecoveries(into: GroupJoin, memberKeys: string[]): Promise<void> {
  const group = getExternalWorkflowHandle(into.workflowId);
  for (const memberKey of memberKeys)
    await group
      .signal(memberRecoveredSignal, memberKey)
      .catch((err) => log.warn('recovery not passed on to the group merged into', { groupId: into.groupId, error: failureReason(err) }));
}
