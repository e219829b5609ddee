import type { RcaReport, SubmittedReport } from '../report';
import { confidenceOf } from './calibration';
import { type ConcludeContext, type Conclusion, conclude, inTrouble, reportOf } from './conclude';
import { type Observation, type PolicyCall, readingsOf } from './observations';
import { nextCalls } from './policy';
import { prometheusCalls, type PrometheusReach } from './prometheus';

export { POLICY_LIMITS } from './policy';
export type { Observation, PolicyCall } from './observations';

/** One turn of the investigating analyst: more calls to make, or the report. */
export type PolicyMove = { calls: PolicyCall[]; note: string } | { report: CalibratedReport; conclusion: Conclusion; reasoning: string[] };

/** What the investigation can read: Datadog unless `datadog` is false, and the account's Prometheus when it has one. */
export interface InvestigationContext extends ConcludeContext {
  datadog?: boolean;
  prometheus?: PrometheusReach;
}

/** The investigating analyst's report, with the features its confidence was estimated from. */
export type CalibratedReport = SubmittedReport & Required<Pick<RcaReport, 'calibration'>>;

/**
 * The deterministic investigating analyst, one turn at a time: from the alert and what its
 * earlier calls read, the next calls, or (when nothing is left to read, or on the final turn)
 * its report. The same observations always give the same move.
 */
export function investigate(ctx: InvestigationContext, observations: readonly Observation[], final = false): PolicyMove {
  if (!final) {
    // The Prometheus reads come first: they are few, and they say whether the target itself is in trouble.
    const calls = [
      ...prometheusCalls(ctx, ctx.prometheus, observations),
      ...(ctx.datadog === false ? [] : nextCalls(ctx, observations, inTrouble(ctx))),
    ];
    if (calls.length) return { calls, note: `reading ${calls.map((c) => c.name).join(', ')}` };
  }
  const readings = readingsOf(observations);
  const conclusion = conclude(ctx, readings);
  const report = {
    ...reportOf(conclusion, ctx, readings, confidenceOf(conclusion.features)),
    calibration: { features: conclusion.features },
  };
  const reasoning = conclusion.candidates
    .slice(0, 5)
    .map(
      (c, i) =>
        `${i === 0 ? 'chosen' : `runner-up ${i}`}: ${c.category} ${c.culprit} (score ${c.score.toFixed(2)}, depth ${c.node.depth}, via ${c.path.map((n) => n.name).join(' → ')}; ${c.node.why}${c.relatedBy ? `; the change relates by "${c.relatedBy}"` : ''})`,
    );
  return { report, conclusion, reasoning };
}
