/**
 * Workflow interceptors bundled with Rayne's workflows (not a workflow). They run in the workflow
 * sandbox, so outcomes leave through a sink: the worker counts them in prom-client.
 */
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  TemporalFailure,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export type WorkflowOutcome = 'completed' | 'failed' | 'cancelled' | 'continued_as_new';

export interface RayneMetricsSinks extends Sinks {
  rayneMetrics: {
    workflowClosed(outcome: WorkflowOutcome): void;
  };
}

const { rayneMetrics } = proxySinks<RayneMetricsSinks>();

/** How a run ended, or undefined when the error fails only the workflow task (Temporal retries it; Core counts those). */
function outcomeOf(err: unknown): WorkflowOutcome | undefined {
  if (err instanceof ContinueAsNew) return 'continued_as_new';
  if (isCancellation(err)) return 'cancelled';
  if (err instanceof TemporalFailure) return 'failed';
  return undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        try {
          const result = await next(input);
          rayneMetrics.workflowClosed('completed');
          return result;
        } catch (err) {
          const outcome = outcomeOf(err);
          if (outcome) rayneMetrics.workflowClosed(outcome);
          throw err;
        }
      },
    },
  ],
});
