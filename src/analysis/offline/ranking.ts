import type { EvidenceBundle } from '../../evidence/bundle';
import type { RcaCategory } from '../report';
import type { EvidenceItem, Finding } from './findings';

/** Multipliers per rule family (the rule name before `:`); a missing family counts 1. */
export type RuleWeights = Readonly<Record<string, number>>;

/** Maps the best hypothesis' share of the evidence to the chance it is right: 1 / (1 + e^-(slope·share + intercept)). */
export interface Calibration {
  slope: number;
  intercept: number;
}

/** What fitting decides: the rules' weights and how their scores read as odds. */
export interface OfflineModel {
  weights: RuleWeights;
  calibration: Calibration;
}

export const calibrated = (share: number, c: Calibration) => Math.round(100 / (1 + Math.exp(-(c.slope * share + c.intercept)))) / 100;

export interface Hypothesis {
  category: RcaCategory;
  /** The share of all the evidence weight this explanation holds, 0 to 1. */
  score: number;
  /** The category's evidence weight, before sharing. */
  weight: number;
  culprit: string;
  /** The host or service the specific culprit acted on, when there is one. */
  where?: string;
  context: string[];
  findings: Finding[];
  against: EvidenceItem[];
}

// Evidence weight that no rule explains: one firing alone is never a certainty.
const UNEXPLAINED = 2;
// An alternative culprit of the same category is offered when it carries this share of the best one's weight.
const ALTERNATIVE_SHARE = 0.25;

export const familyOf = (rule: string) => rule.split(':')[0]!;
const weighted = (f: Finding, weights: RuleWeights) => f.weight * (weights[familyOf(f.rule)] ?? 1);

/**
 * Ranks explanations: a category's weight counts each rule's strongest firing fully and its
 * repeats at a third; its culprits are offered in order of their own weight; each explanation's
 * score is its share of all the weight plus what no rule explains.
 */
export function rankHypotheses(findings: Finding[], b: EvidenceBundle, weights: RuleWeights = {}): Hypothesis[] {
  const byCategory = new Map<RcaCategory, Finding[]>();
  for (const f of findings) if (weighted(f, weights) > 0) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f]);
  const hypotheses = [...byCategory].flatMap(([category, fs]) => categoryHypotheses(category, fs, b, weights));
  const total = [...byCategory.values()].reduce((sum, fs) => sum + categoryWeight(fs, weights), 0) + UNEXPLAINED;
  for (const h of hypotheses) h.score = Math.round((h.weight / total) * 100) / 100;
  return hypotheses.sort((x, y) => y.weight - x.weight);
}

function categoryWeight(fs: Finding[], weights: RuleWeights): number {
  const byRule = new Map<string, number[]>();
  // Refinements (a job, a cache) only name the culprit of a category that other rules establish.
  for (const f of fs) if (!f.specific || f.scored) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), weighted(f, weights)]);
  let score = 0;
  for (const ws of byRule.values()) {
    const sorted = ws.sort((x, y) => y - x);
    score += sorted[0]! + sorted.slice(1).reduce((s, w) => s + w / 3, 0);
  }
  return score;
}

interface Culprit {
  name: string;
  weight: number;
  context: string[];
  findings: Finding[];
}

function culprits(fs: Finding[], specific: boolean, weights: RuleWeights): Culprit[] {
  const byName = new Map<string, Culprit>();
  for (const f of fs) {
    if (!f.culprit || !!f.specific !== specific) continue;
    const c = byName.get(f.culprit) ?? { name: f.culprit, weight: 0, context: [], findings: [] };
    c.weight += weighted(f, weights);
    c.findings.push(f);
    if (f.context && !c.context.includes(f.context)) c.context.push(f.context);
    byName.set(f.culprit, c);
  }
  return [...byName.values()].sort((x, y) => y.weight - x.weight);
}

function categoryHypotheses(category: RcaCategory, fs: Finding[], b: EvidenceBundle, weights: RuleWeights): Hypothesis[] {
  const weight = categoryWeight(fs, weights);
  if (weight <= 0) return [];
  const general = culprits(fs, false, weights);
  const specific = culprits(fs, true, weights);
  const fallback = category === 'traffic_spike' ? 'a surge in requests' : (b.alert.hostname ?? b.alert.service ?? 'the alerting service');
  const named = specific.length ? specific : general;
  const best = named[0];
  const where = specific[0] && general[0] && general[0].name !== specific[0].name ? general[0].name : undefined;
  const unnamed = fs.filter((f) => !f.culprit);
  const hypothesis = (c: Culprit | undefined, share: number): Hypothesis => {
    // The culprit's own findings first, then what the category rests on without naming anyone.
    const own = c ? [...c.findings, ...(c === best ? fs.filter((f) => !c.findings.includes(f)) : unnamed)] : fs;
    return {
      category,
      score: 0,
      weight: weight * share,
      culprit: c?.name ?? fallback,
      where: c === best ? where : undefined,
      context:
        c === best
          ? [...(specific[0]?.context ?? []).slice(0, 1), ...(general[0]?.context ?? [])].slice(0, 2)
          : (c?.context ?? []).slice(0, 2),
      findings: own,
      against: own.flatMap((f) => f.against ?? []),
    };
  };
  const alternatives = named
    .slice(1)
    .filter((c) => best && c.weight >= ALTERNATIVE_SHARE * best.weight)
    .slice(0, 2);
  return [hypothesis(best, 1), ...alternatives.map((c) => hypothesis(c, (c.weight / best!.weight) * 0.9))];
}
