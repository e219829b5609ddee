import type { RcaReport } from './report';
import { formatTable } from '../text-table';

/** A scenario's label: the category and the strings the root cause must name. */
export interface ExpectedRca {
  category: string;
  culprit_terms: string[];
}

export interface ReportScore {
  categoryCorrect: boolean;
  culpritFound: boolean;
  solved: boolean;
}

/** Scores one report as scenarios/README.md says: category equal, every culprit term in the root cause (case-insensitive). */
export function scoreReport(report: Pick<RcaReport, 'category' | 'root_cause'>, expected: ExpectedRca): ReportScore {
  const categoryCorrect = report.category === expected.category;
  const rootCause = report.root_cause.toLowerCase();
  const culpritFound = expected.culprit_terms.every((t) => rootCause.includes(t.toLowerCase()));
  return { categoryCorrect, culpritFound, solved: categoryCorrect && culpritFound };
}

/** One evaluated scenario: its score and the size of the evidence the analyst was handed. */
export interface ScoreRow {
  scenario: string;
  expected: ExpectedRca;
  category: string;
  score: ReportScore;
  evidenceChars: number;
  evidenceTokens: number;
}

export interface ScoreSummary {
  solved: number;
  total: number;
  categoryAccuracy: number;
  medianEvidenceTokens: number;
  medianEvidenceChars: number;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Totals over scenarios; accuracy is 0 when there are none. */
export function summarizeScores(rows: ScoreRow[]): ScoreSummary {
  const total = rows.length;
  return {
    solved: rows.filter((r) => r.score.solved).length,
    total,
    categoryAccuracy: total ? rows.filter((r) => r.score.categoryCorrect).length / total : 0,
    medianEvidenceTokens: median(rows.map((r) => r.evidenceTokens)),
    medianEvidenceChars: median(rows.map((r) => r.evidenceChars)),
  };
}

/** A table of the rows, then the line `solved=N/M category_accuracy=X median_evidence_tokens=Y` that scripts read. */
export function formatScores(rows: ScoreRow[]): string {
  const header = ['scenario', 'expected', 'got', 'category', 'culprit', 'solved', 'tokens', 'chars'];
  const body = rows.map((r) => [
    r.scenario, r.expected.category, r.category,
    r.score.categoryCorrect ? 'yes' : 'no', r.score.culpritFound ? 'yes' : 'no', r.score.solved ? 'yes' : 'no',
    String(r.evidenceTokens), String(r.evidenceChars),
  ]);
  const s = summarizeScores(rows);
  return [
    ...formatTable(header, body),
    `median evidence: ${s.medianEvidenceChars} chars, ${s.medianEvidenceTokens} tokens`,
    `solved=${s.solved}/${s.total} category_accuracy=${s.categoryAccuracy.toFixed(2)} median_evidence_tokens=${Math.round(s.medianEvidenceTokens)}`,
  ].join('\n');
}
