import type { EvidenceBundle } from '../../evidence/bundle';
import type { RcaCategory } from '../report';
import type { Finding } from './findings';

export interface Hypothesis {
  category: RcaCategory;
  score: number;
  culprit: string;
  /** The host or service the specific culprit acted on, when there is one. */
  where?: string;
  context: string[];
  findings: Finding[];
}

// The score of a category counts each rule's strongest firing fully and its repeats at a third.
export function rankHypotheses(findings: Finding[], b: EvidenceBundle): Hypothesis[] {
  const byCategory = new Map<RcaCategory, Finding[]>();
  for (const f of findings) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f]);
  const hypotheses: Hypothesis[] = [];
  for (const [category, fs] of byCategory) {
    const byRule = new Map<string, number[]>();
    // Refinements (a job, a cache) only name the culprit of a category that other rules establish.
    for (const f of fs) if (!f.specific || f.rule === 'campaign-event' || f.rule === 'unbounded-memory-holder') byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f.weight]);
    let score = 0;
    for (const ws of byRule.values()) {
      const sorted = ws.sort((x, y) => y - x);
      score += sorted[0]! + sorted.slice(1).reduce((s, w) => s + w / 3, 0);
    }
    if (score <= 0) continue;
    const pick = (specific: boolean) => {
      const culprits = new Map<string, { weight: number; context: string[] }>();
      for (const f of fs) {
        if (!f.culprit || !!f.specific !== specific) continue;
        const c = culprits.get(f.culprit) ?? { weight: 0, context: [] };
        c.weight += f.weight;
        if (f.context && !c.context.includes(f.context)) c.context.push(f.context);
        culprits.set(f.culprit, c);
      }
      const best = [...culprits.entries()].sort((x, y) => y[1].weight - x[1].weight)[0];
      return best ? { name: best[0], context: best[1].context } : undefined;
    };
    const general = pick(false);
    const specific = pick(true);
    const fallback = category === 'traffic_spike' ? 'a surge in requests' : b.alert.hostname ?? b.alert.service ?? 'the alerting service';
    const chosen = specific ?? general;
    hypotheses.push({
      category, score,
      culprit: chosen?.name ?? fallback,
      where: specific && general && general.name !== specific.name ? general.name : undefined,
      context: [...(specific?.context ?? []).slice(0, 1), ...(general?.context ?? [])].slice(0, 2),
      findings: fs,
    });
  }
  return hypotheses.sort((x, y) => y.score - x.score);
}
