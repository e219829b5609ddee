import type { ProcessorName, ProcessorTask, SkippedProcessor, Tier1Plan, Tier1Selection, TransitionDecision } from '../contracts/incident';

// Processors that page a person: a flapping monitor must not page on every flip.
const PAGING: readonly ProcessorName[] = ['notify', 'slack'];
// Processors that act on the Datadog monitor behind the alert: an alert from elsewhere has none.
const DATADOG_ONLY: readonly ProcessorName[] = ['downtime'];

/** Which processors run for a transition. Pure: the workflow calls it with the plan an activity loaded. */
export function selectProcessors(plan: Tier1Plan, decision: TransitionDecision): Tier1Selection {
  const flapping = plan.transitionsInWindow >= plan.flapping.transitions;
  const flappingStarts = plan.transitionsInWindow === plan.flapping.transitions;
  const tasks: ProcessorTask[] = [];
  const skipped: SkippedProcessor[] = [];
  for (const t of plan.targets) {
    const skip = (reason: string) => skipped.push({ processor: t.processor, target: t.target, reason });
    const task = { processor: t.processor, target: t.target, label: t.label, timeoutMs: t.timeoutMs };
    const source = plan.source ?? 'datadog';
    if (source !== 'datadog' && DATADOG_ONLY.includes(t.processor)) skip(`mutes a Datadog monitor; this alert came from ${source}`);
    else if (plan.runOn === 'state_changes' && decision.repeat) skip('repeat of the current status (tier1.run_on is state_changes)');
    else if (!t.statuses.includes(decision.status)) skip(`not configured for ${decision.status}`);
    else if (flapping && t.processor === 'slack' && flappingStarts) tasks.push({ ...task, mode: 'flapping' });
    else if (flapping && PAGING.includes(t.processor)) {
      skip(`flapping: ${plan.transitionsInWindow} transitions in ${plan.flapping.windowMinutes} min`);
    } else tasks.push({ ...task, mode: 'transition' });
  }
  return { tasks, skipped, flapping };
}
