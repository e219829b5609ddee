import type { RcaReport } from './report';
import { formatTable } from '../text-format';
import type { Verdict } from '../contracts/rca';

/** A scenario's label: the category and the strings the root cause must name. */
export interface ExpectedRca {
  category: string;
  culprit_terms: string[];
}

export interface ReportScore {
  categoryCorrect: boolean;
  culpritFound: boolean;
  /** Top-1: category right and every culprit term in the root cause. */
  solved: boolean;
  /** Category and culprit terms within one of the first three hypotheses. */
  top3: boolean;
}

type ScoredReport = Pick<RcaReport, 'category' | 'root_cause'> & Partial<Pick<RcaReport, 'hypotheses'>>;

const namesAll = (text: string, terms: string[]) => terms.every((t) => text.toLowerCase().includes(t.toLowerCase()));

/**
 * Scores one report as scenarios/README.md says: category equal, every culprit term in the root
 * cause (case-insensitive); top-3 asks the same of any of the first three hypotheses.
 */
export function scoreReport(report: ScoredReport, expected: ExpectedRca): ReportScore {
  const categoryCorrect = report.category === expected.category;
  const culpritFound = namesAll(report.root_cause, expected.culprit_terms);
  const solved = categoryCorrect && culpritFound;
  const top3 =
    solved ||
    (report.hypotheses ?? [])
      .slice(0, 3)
      .some((h) => h.category === expected.category && namesAll(`${h.culprit}\n${h.statement}`, expected.culprit_terms));
  return { categoryCorrect, culpritFound, solved, top3 };
}

/** Whether the evidence handed to the analyst names every culprit term at all. */
export const evidenceRecalled = (evidence: unknown, expected: ExpectedRca) =>
  namesAll(JSON.stringify(evidence ?? {}), expected.culprit_terms);

/** One evaluated scenario: its score, the report's verdict and confidence, and the evidence it had. */
export interface ScoreRow {
  scenario: string;
  expected: ExpectedRca;
  category: string;
  score: ReportScore;
  verdict?: Verdict;
  confidence?: number;
  evidenceRecalled: boolean;
  evidenceChars: number;
  evidenceTokens: number;
  /** The company the scenario comes from (`alert.org_name`), for the per-company lines. */
  company?: string;
  /** The analyst's tool calls, from the RCA's stored usage; absent when it stored none. */
  toolCalls?: number;
}

/** Of the answers in one group (a confidence bucket or a verdict), how many were right. */
export interface GroupAccuracy {
  group: string;
  answers: number;
  solved: number;
}

export interface ScoreSummary {
  solved: number;
  top3: number;
  recalled: number;
  total: number;
  categoryAccuracy: number;
  /** Right answers among those whose verdict is confirmed or likely. */
  committed: { answers: number; solved: number };
  byConfidence: GroupAccuracy[];
  /** The mean confidence of the answers that state one, to set against the share solved. */
  meanConfidence?: number;
  byVerdict: GroupAccuracy[];
  medianEvidenceTokens: number;
  medianEvidenceChars: number;
  /** Over the rows that know their tool calls; absent when none does. */
  toolCalls?: { median: number; max: number };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const toolCallSpread = (rows: ScoreRow[]) => {
  const counts = rows.flatMap((r) => (r.toolCalls === undefined ? [] : [r.toolCalls]));
  return counts.length ? { median: median(counts), max: Math.max(...counts) } : undefined;
};

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

const CONFIDENCE_BUCKETS: ReadonlyArray<[string, number, number]> = [
  ['0.0-0.3', 0, 0.3],
  ['0.3-0.5', 0.3, 0.5],
  ['0.5-0.7', 0.5, 0.7],
  ['0.7-1.0', 0.7, 1.01],
];
const VERDICT_ORDER: readonly Verdict[] = ['confirmed', 'likely', 'inconclusive'];

function grouped(rows: ScoreRow[], groups: ReadonlyArray<readonly [string, (r: ScoreRow) => boolean]>): GroupAccuracy[] {
  return groups
    .map(([group, member]) => {
      const members = rows.filter(member);
      return { group, answers: members.length, solved: members.filter((r) => r.score.solved).length };
    })
    .filter((g) => g.answers > 0);
}

/** Totals over scenarios; accuracy is 0 when there are none. */
export function summarizeScores(rows: ScoreRow[]): ScoreSummary {
  const total = rows.length;
  const count = (f: (r: ScoreRow) => boolean) => rows.filter(f).length;
  const committed = rows.filter((r) => r.verdict === 'confirmed' || r.verdict === 'likely');
  return {
    solved: count((r) => r.score.solved),
    top3: count((r) => r.score.top3),
    recalled: count((r) => r.evidenceRecalled),
    total,
    categoryAccuracy: total ? count((r) => r.score.categoryCorrect) / total : 0,
    committed: { answers: committed.length, solved: committed.filter((r) => r.score.solved).length },
    byConfidence: grouped(
      rows,
      CONFIDENCE_BUCKETS.map(
        ([name, lo, hi]) => [name, (r: ScoreRow) => r.confidence !== undefined && r.confidence >= lo && r.confidence < hi] as const,
      ),
    ),
    meanConfidence: meanOf(rows.flatMap((r) => (r.confidence === undefined ? [] : [r.confidence]))),
    byVerdict: grouped(
      rows,
      VERDICT_ORDER.map((v) => [v, (r: ScoreRow) => r.verdict === v] as const),
    ),
    medianEvidenceTokens: median(rows.map((r) => r.evidenceTokens)),
    medianEvidenceChars: median(rows.map((r) => r.evidenceChars)),
    toolCalls: toolCallSpread(rows),
  };
}

const companyOf = (r: ScoreRow) => r.company ?? 'unknown';

/** One line per company, by name: each company's figures, so a strong company cannot hide a weak one. */
export function formatCompanyScores(rows: ScoreRow[]): string[] {
  const companies = [...new Set(rows.map(companyOf))].sort();
  return companies.map((company) => {
    const s = summarizeScores(rows.filter((r) => companyOf(r) === company));
    return `  ${company}: solved ${s.solved}/${s.total}, top-3 ${s.top3}/${s.total}, recall ${s.recalled}/${s.total}, committed right ${s.committed.solved}/${s.committed.answers}`;
  });
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const share = (n: number, of: number) => (of ? `${n}/${of} (${Math.round((100 * n) / of)}%)` : '0/0');
const accuracyLine = (title: string, groups: GroupAccuracy[]) =>
  `${title}: ${groups.map((g) => `${g.group} ${share(g.solved, g.answers)}`).join(', ') || 'none'}`;

/** A table of the rows, accuracy by confidence and verdict, optionally a line per company, then the line scripts read. */
export function formatScores(rows: ScoreRow[], { byCompany = false } = {}): string {
  const header = ['scenario', 'expected', 'got', 'verdict', 'conf', 'category', 'culprit', 'solved', 'top3', 'recall', 'tokens', 'chars'];
  const body = rows.map((r) => [
    r.scenario,
    r.expected.category,
    r.category,
    r.verdict ?? '-',
    r.confidence === undefined ? '-' : r.confidence.toFixed(2),
    yesNo(r.score.categoryCorrect),
    yesNo(r.score.culpritFound),
    yesNo(r.score.solved),
    yesNo(r.score.top3),
    yesNo(r.evidenceRecalled),
    String(r.evidenceTokens),
    String(r.evidenceChars),
  ]);
  const s = summarizeScores(rows);
  return [
    ...formatTable(header, body),
    `top-1 solved ${share(s.solved, s.total)}, top-3 ${share(s.top3, s.total)}, evidence recall ${share(s.recalled, s.total)}, category ${share(Math.round(s.categoryAccuracy * s.total), s.total)}`,
    `${accuracyLine('solved by confidence', s.byConfidence)}${s.meanConfidence === undefined ? '' : `; mean confidence ${s.meanConfidence.toFixed(2)} against ${share(s.solved, s.total)} solved`}`,
    accuracyLine('solved by verdict', s.byVerdict),
    `confirmed or likely answers right: ${share(s.committed.solved, s.committed.answers)}`,
    `median evidence: ${s.medianEvidenceChars} chars, ${s.medianEvidenceTokens} tokens`,
    `tool calls per investigation: ${s.toolCalls ? `median ${s.toolCalls.median}, max ${s.toolCalls.max}` : 'not recorded'}`,
    ...(byCompany ? ['per company:', ...formatCompanyScores(rows)] : []),
    `solved=${s.solved}/${s.total} top3=${s.top3}/${s.total} evidence_recall=${s.recalled}/${s.total} category_accuracy=${s.categoryAccuracy.toFixed(2)} committed_accuracy=${s.committed.answers ? (s.committed.solved / s.committed.answers).toFixed(2) : '-'} median_evidence_tokens=${Math.round(s.medianEvidenceTokens)} median_tool_calls=${s.toolCalls?.median ?? '-'} max_tool_calls=${s.toolCalls?.max ?? '-'}`,
  ].join('\n');
}
