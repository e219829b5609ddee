import { log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type TriageInput, type TriagePhase, type TriageState, triageStateQuery } from '../contracts/triage';
import { failureReason } from '../errors';
import { ANALYSIS_OPTIONS, GITHUB_WRITE_OPTIONS, INDEXING_OPTIONS, STORE_OPTIONS } from './activity-options';
import { modelActivities, runAnalystLoop } from './analyst-loop';

const store = proxyActivities<Activities>(STORE_OPTIONS);
const analysis = proxyActivities<Activities>(ANALYSIS_OPTIONS);
const indexing = proxyActivities<Activities>(INDEXING_OPTIONS);
const githubWrites = proxyActivities<Activities>(GITHUB_WRITE_OPTIONS);

/**
 * github/{deliveryId}: gather the issue's context, triage it with the configured analyst (the
 * offline one when that fails), post one comment, optionally label it and close it as a
 * duplicate, and index it for later duplicates. The issue's text is data for the analyst; the
 * writes are decided here and in the activities, never by it.
 */
export async function githubIssueWorkflow({ eventId, triageId }: TriageInput): Promise<TriageState> {
  const state: TriageState = { triageId, phase: 'context', turns: 0, toolCalls: 0, tokens: { input: 0, output: 0, cached: 0 } };
  setHandler(triageStateQuery, () => state);
  const phase = async (next: TriagePhase) => {
    state.phase = next;
    await store.setTriagePhase(triageId, next);
  };
  try {
    state.issue = await store.startTriage(triageId, eventId);
    state.context = await store.gatherTriageContext(triageId);

    await phase('analyse');
    const plan = await store.planTriage(triageId);
    state.analyst = plan.analyst;
    const datadogTools = state.context.looksLikeIncident && state.context.datadog;
    const llm = modelActivities(plan.taskQueue);
    state.result =
      plan.analyst === 'offline'
        ? await analysis.runOfflineTriage(triageId, plan.fallback)
        : await runAnalystLoop(
            plan.maxTurns,
            { turn: (n) => llm.triageTurn(triageId, n, datadogTools), tool: (call) => llm.triageTool(triageId, call, datadogTools) },
            state,
          )
            .then((done) =>
              done
                ? store.saveTriage(triageId, {
                    triage: done.report,
                    usage: done.usage,
                    timings: done.timings,
                    analyst: plan.analyst,
                    model: plan.model,
                    reasoning: [],
                  })
                : analysis.runOfflineTriage(triageId, `${plan.analyst} gave no triage within ${plan.maxTurns} turns`),
            )
            .catch((err) => analysis.runOfflineTriage(triageId, `${plan.analyst} triage failed: ${failureReason(err)}`));

    await phase('comment');
    state.comment = await githubWrites.postTriageComment(triageId);
    await phase('labels');
    state.labels = await githubWrites.labelTriagedIssue(triageId).catch((err) => ({ done: false, note: failureReason(err) }));
    // With closing off, nothing is scheduled that could only decline. The decision is planTriage's
    // recorded result, so histories whose plan predates closingOff replay the close they ran.
    if (plan.closingOff) {
      state.closed = { done: false, note: plan.closingOff };
    } else {
      await phase('close');
      state.closed = await githubWrites.closeDuplicateIssue(triageId).catch((err) => ({ done: false, note: failureReason(err) }));
    }
    await phase('index');
    await indexing.indexIssue(triageId);
    await phase('done');
    return state;
  } catch (err) {
    log.warn('triage failed', { triageId, error: failureReason(err) });
    await store.failTriage(triageId, `${state.phase}: ${failureReason(err)}`);
    throw err;
  }
}
