import type { EvidenceBundle } from '../../evidence/bundle';
import type { RcaReport } from '../report';
import { type ExpectedRca, scoreReport } from '../scoring';
import { collectFindings, type Finding } from './findings';
import { familyOf, rankHypotheses, type RuleWeights } from './ranking';
import { buildReport } from './report';

/** A scenario's stored evidence with its label and the company it comes from. */
export interface LabelledBundle {
  scenario: string;
  company: string;
  expected: ExpectedRca;
  bundle: EvidenceBundle;
}

interface Prepared {
  labelled: LabelledBundle;
  findings: Finding[];
}

// The multipliers a rule family may take; 1 is where every family starts and what ties keep.
const CANDIDATES = [0, 0.25, 0.5, 1, 1.5, 2, 3];
const PASSES = 2;

const reportOf = (p: Prepared, weights: RuleWeights) => buildReport(p.labelled.bundle, rankHypotheses(p.findings, p.labelled.bundle, weights));

/** What fitting maximises: top-1 first, then top-3, then the category alone. */
function objective(prepared: Prepared[], weights: RuleWeights): number {
  let total = 0;
  for (const p of prepared) {
    const s = scoreReport(reportOf(p, weights), p.labelled.expected);
    total += (s.solved ? 1 : 0) + (s.top3 ? 0.3 : 0) + (s.categoryCorrect ? 0.2 : 0);
  }
  return total;
}

/**
 * Rule-family multipliers that score best on these scenarios, by coordinate ascent from all
 * ones: a family moves only when that strictly improves the objective, so rules the scenarios
 * say nothing about keep their written weight.
 */
export function fitWeights(cases: LabelledBundle[]): RuleWeights {
  const prepared = cases.map((labelled) => ({ labelled, findings: collectFindings(labelled.bundle) }));
  const families = [...new Set(prepared.flatMap((p) => p.findings.map((f) => familyOf(f.rule))))].sort();
  const weights: Record<string, number> = {};
  let best = objective(prepared, weights);
  for (let pass = 0; pass < PASSES; pass++) {
    let moved = false;
    for (const family of families) {
      const current = weights[family] ?? 1;
      for (const candidate of CANDIDATES) {
        if (candidate === current) continue;
        const trial = { ...weights, [family]: candidate };
        const score = objective(prepared, trial);
        if (score > best + 1e-9) {
          best = score;
          weights[family] = candidate;
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return Object.fromEntries(Object.entries(weights).filter(([, w]) => w !== 1));
}

export interface CrossValidated {
  labelled: LabelledBundle;
  report: RcaReport;
  /** The weights fitted on the other companies' scenarios. */
  weights: RuleWeights;
}

/** Scores each company's scenarios with weights fitted on the other companies' only. */
export function crossValidateByCompany(cases: LabelledBundle[]): CrossValidated[] {
  const companies = [...new Set(cases.map((c) => c.company))];
  return companies.flatMap((company) => {
    const weights = fitWeights(cases.filter((c) => c.company !== company));
    return cases.filter((c) => c.company === company)
      .map((labelled) => ({ labelled, weights, report: reportOf({ labelled, findings: collectFindings(labelled.bundle) }, weights) }));
  });
}
