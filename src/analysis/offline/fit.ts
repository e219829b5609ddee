import type { EvidenceBundle } from '../../evidence/bundle';
import type { RcaReport } from '../report';
import { type ExpectedRca, scoreReport } from '../scoring';
import { collectFindings, type Finding } from './findings';
import { type Calibration, familyOf, type OfflineModel, rankHypotheses, type RuleWeights } from './ranking';
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

// Fitting weights ranks hypotheses only; confidence does not change which report is right.
const UNCALIBRATED: Calibration = { slope: 1, intercept: 0 };
const reportOf = (p: Prepared, weights: RuleWeights, calibration = UNCALIBRATED) =>
  buildReport(p.labelled.bundle, rankHypotheses(p.findings, p.labelled.bundle, weights), calibration);

/** What fitting maximises: top-1 first, then top-3, then the category alone. */
function objective(prepared: Prepared[], weights: RuleWeights): number {
  let total = 0;
  for (const p of prepared) {
    const s = scoreReport(reportOf(p, weights), p.labelled.expected);
    total += (s.solved ? 1 : 0) + (s.top3 ? 0.3 : 0) + (s.categoryCorrect ? 0.2 : 0);
  }
  return total;
}

const prepare = (cases: LabelledBundle[]): Prepared[] =>
  cases.map((labelled) => ({ labelled, findings: collectFindings(labelled.bundle) }));

/**
 * Rule-family multipliers that score best on these scenarios, by coordinate ascent from all
 * ones: a family moves only when that strictly improves the objective, so rules the scenarios
 * say nothing about keep their written weight.
 */
function fitWeightsOn(prepared: Prepared[]): RuleWeights {
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

const SLOPES = Array.from({ length: 21 }, (_, i) => i * 0.5);
const INTERCEPTS = Array.from({ length: 29 }, (_, i) => -5 + i * 0.25);

/**
 * The logistic map from the best hypothesis' share to the chance the report is right (top-1),
 * least log-loss over a grid, so a confidence of 0.7 is right about 70% of the time.
 */
function fitCalibration(points: Array<{ share: number; right: boolean }>): Calibration {
  const loss = (c: Calibration) =>
    points.reduce((sum, { share, right }) => {
      const chance = Math.min(1 - 1e-6, Math.max(1e-6, 1 / (1 + Math.exp(-(c.slope * share + c.intercept)))));
      return sum - Math.log(right ? chance : 1 - chance);
    }, 0);
  let best = { slope: 0, intercept: 0 };
  for (const slope of SLOPES) for (const intercept of INTERCEPTS) if (loss({ slope, intercept }) < loss(best)) best = { slope, intercept };
  return best;
}

const pointOf = (p: Prepared, weights: RuleWeights) => {
  const report = reportOf(p, weights);
  return { share: report.hypotheses[0]?.score ?? 0, right: scoreReport(report, p.labelled.expected).solved };
};

/**
 * Weights first; then the calibration, fitted on how each company's answers fared under weights
 * fitted without that company, since answers on the data the weights were fitted to look better
 * than answers on new data will be.
 */
export function fitModel(cases: LabelledBundle[]): OfflineModel {
  const prepared = prepare(cases);
  const weights = fitWeightsOn(prepared);
  const companies = [...new Set(cases.map((c) => c.company))];
  const points =
    companies.length < 2
      ? prepared.map((p) => pointOf(p, weights))
      : companies.flatMap((company) => {
          const foldWeights = fitWeightsOn(prepared.filter((p) => p.labelled.company !== company));
          return prepared.filter((p) => p.labelled.company === company).map((p) => pointOf(p, foldWeights));
        });
  return { weights, calibration: fitCalibration(points) };
}

export interface CrossValidated {
  labelled: LabelledBundle;
  report: RcaReport;
  /** The model fitted on the other companies' scenarios. */
  model: OfflineModel;
}

/** Scores each company's scenarios with a model fitted on the other companies' only. */
export function crossValidateByCompany(cases: LabelledBundle[]): CrossValidated[] {
  const companies = [...new Set(cases.map((c) => c.company))];
  return companies.flatMap((company) => {
    const model = fitModel(cases.filter((c) => c.company !== company));
    return prepare(cases.filter((c) => c.company === company)).map((p) => ({
      labelled: p.labelled,
      model,
      report: reportOf(p, model.weights, model.calibration),
    }));
  });
}
