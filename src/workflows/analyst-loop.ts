import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TurnOutcome } from '../analysis/claude';
import type { AnalysisUsage, LoopTally, ToolCall } from '../contracts/rca';
import { modelOptions } from './activity-options';

/** The model activities, on the plan's task queue when one is set. */
export const modelActivities = (taskQueue?: string) => proxyActivities<Activities>(modelOptions(taskQueue));

export interface LoopResult<R> {
  report: R;
  /** Priced by the activity that stores it: the price table lives outside the workflow bundle. */
  usage: AnalysisUsage;
  timings: { startedAt: string; finishedAt: string; ms: number };
}

/**
 * The tool-use loop: one activity per model turn and one per tool call, so a crash resumes
 * mid-investigation and the Web UI shows every step. The last turn may only submit; undefined
 * when the model still gave nothing valid within maxTurns.
 */
export async function runAnalystLoop<R>(
  maxTurns: number,
  steps: { turn(n: number): Promise<TurnOutcome<R>>; tool(call: ToolCall): Promise<unknown> },
  tally: LoopTally,
): Promise<LoopResult<R> | undefined> {
  const startedAt = Date.now();
  for (let turn = 1; turn <= maxTurns; turn += 1) {
    const outcome = await steps.turn(turn);
    tally.turns = turn;
    tally.tokens.input += outcome.usage.inputTokens;
    tally.tokens.output += outcome.usage.outputTokens;
    tally.tokens.cached += outcome.usage.cachedTokens;
    if (outcome.report) {
      return {
        report: outcome.report,
        usage: {
          turns: turn,
          toolCalls: tally.toolCalls,
          inputTokens: tally.tokens.input,
          outputTokens: tally.tokens.output,
          cachedTokens: tally.tokens.cached,
          estimatedCostUsd: 0,
        },
        timings: { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date().toISOString(), ms: Date.now() - startedAt },
      };
    }
    for (const call of outcome.toolCalls) {
      await steps.tool(call);
      tally.toolCalls += 1;
    }
  }
  return undefined;
}
