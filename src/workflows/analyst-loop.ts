import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TurnOutcome } from '../analysis/claude';
import type { AnalysisUsage, LoopTally, ToolCall } from '../contracts/rca';

/**
 * The model activities: overloaded and rate-limited APIs retry with backoff, a rejected key fails
 * at once. Above the SDK's 4-minute request timeout, so the SDK gives up first and says why; a turn
 * heartbeats while it waits, so a dead worker is noticed in seconds. On the plan's task queue
 * when one is set (TEMPORAL_LLM_TASK_QUEUE), so model calls scale apart from everything else.
 */
export const modelActivities = (taskQueue?: string) =>
  proxyActivities<Activities>({
    startToCloseTimeout: '5m',
    heartbeatTimeout: '30s',
    retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 6 },
    ...(taskQueue ? { taskQueue } : {}),
  });


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
        usage: { turns: turn, toolCalls: tally.toolCalls, inputTokens: tally.tokens.input, outputTokens: tally.tokens.output, cachedTokens: tally.tokens.cached, estimatedCostUsd: 0 },
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
