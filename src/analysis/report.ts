import { z } from 'zod';
import { type AnalysisUsage, type Verdict, VERDICTS } from '../contracts/rca';

/** The closed set of root-cause categories a report (and a scenario) may name. */
export const RCA_CATEGORIES = [
  'deployment',
  'config_change',
  'cpu_saturation',
  'memory_exhaustion',
  'disk_full',
  'dependency_failure',
  'database',
  'network',
  'certificate',
  'traffic_spike',
  'host_failure',
] as const;
export type RcaCategory = (typeof RCA_CATEGORIES)[number];

/** One claim the report rests on, where it came from, and a link to see it. */
export const EvidenceItemSchema = z.object({
  claim: z.string().min(1).describe('what the evidence shows, in one sentence'),
  source: z.string().min(1).describe('logs, events, metrics, host, monitor or similar_incidents'),
  link: z.string().optional().describe('the Datadog link of the item, copied from the evidence'),
});
export type EvidenceItem = z.infer<typeof EvidenceItemSchema>;

/** One candidate explanation, with what speaks for and against it. */
export const HypothesisSchema = z.object({
  category: z.enum(RCA_CATEGORIES),
  culprit: z.string().min(1).describe('what this hypothesis blames: the change, host, dependency, job or resource, by name'),
  statement: z.string().min(1).describe('one sentence: the root cause if this hypothesis holds'),
  score: z.number().min(0).max(1).describe('how strongly the evidence supports it, 0 to 1'),
  supporting: z.array(EvidenceItemSchema).describe('evidence items that support it, with their links'),
  against: z.array(EvidenceItemSchema).describe('evidence items that speak against it'),
});
export type Hypothesis = z.infer<typeof HypothesisSchema>;

/** What an analyst submits (also the submit_report tool's input schema): the verdict is added by code. */
export const SubmittedReportSchema = z.object({
  summary: z.string().min(1).describe('two or three sentences: what happened and why'),
  root_cause: z.string().min(1).describe('one sentence naming the culprit (the change, host, dependency or resource)'),
  category: z.enum(RCA_CATEGORIES).describe("the best hypothesis's category"),
  confidence: z.number().min(0).max(1),
  hypotheses: z.array(HypothesisSchema).min(1).max(5).describe('ranked explanations, best first; the first is the root cause above'),
  evidence: z.array(EvidenceItemSchema),
  remediation: z.array(z.string().min(1)).describe('concrete next steps, most urgent first'),
  missing_data: z.array(z.string()).describe('evidence that was unavailable or would change the conclusion'),
});
export type SubmittedReport = z.infer<typeof SubmittedReportSchema>;

/** What the investigating analyst's confidence was estimated from (see investigator/calibration.ts). */
export const AnswerFeaturesSchema = z.object({
  depth: z.number(),
  own: z.boolean(),
  sourceKinds: z.number(),
  margin: z.number(),
  change: z.boolean(),
  candidates: z.number(),
});

/** One analyst's conclusion of the same run, kept beside the report: a model's and the investigation's can differ. */
export const AnalystRowSchema = z.object({
  analyst: z.string(),
  category: z.enum(RCA_CATEGORIES),
  root_cause: z.string(),
  confidence: z.number(),
  verdict: z.enum(VERDICTS),
});
export type AnalystRow = z.infer<typeof AnalystRowSchema>;

/** What every analyst (Claude, Ollama, offline) produces: the submitted report with its verdict. */
export const RcaReportSchema = SubmittedReportSchema.extend({
  verdict: z.enum(VERDICTS).describe('confirmed, likely or inconclusive, derived from the strength of the evidence'),
  /** The investigating analyst's answer features: its confidence is a calibrated estimate from these. */
  calibration: z.object({ features: AnswerFeaturesSchema }).optional(),
  /** Each analyst that concluded on this run, the report's own first; absent when only one did. */
  analysts: z.array(AnalystRowSchema).optional(),
});

/** A report as one analyst's row. */
export const analystRow = (analyst: string, r: RcaReport): AnalystRow => ({
  analyst,
  category: r.category,
  root_cause: r.root_cause,
  confidence: r.confidence,
  verdict: r.verdict,
});
export type RcaReport = z.infer<typeof RcaReportSchema>;

/** A report with who wrote it, what it cost and how long it took. */
export interface AnalysisResult {
  report: RcaReport;
  analyst: 'claude' | 'ollama' | 'offline';
  model?: string;
  usage: AnalysisUsage;
  timings: { startedAt: string; finishedAt: string; ms: number };
  /** The analyst's reasoning steps, for people reading the report (the offline analyst's rules that fired). */
  reasoning: string[];
}

/** A report as read back: one stored before hypotheses and verdicts existed has neither. */
export type StoredReport = Omit<RcaReport, 'hypotheses' | 'verdict'> & Partial<Pick<RcaReport, 'hypotheses' | 'verdict'>>;
/** An analysis as the views (notebook, Markdown) take it: its report may be an old one. */
export type StoredAnalysis = Omit<AnalysisResult, 'report'> & { report: StoredReport };

/** An analysis as an analyst hands it in: its report gets the verdict when it is stored (finishReport). */
export type SubmittedAnalysis = Omit<AnalysisResult, 'report'> & { report: SubmittedReport };

export const noUsage = (): AnalysisUsage => ({
  turns: 0,
  toolCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
  estimatedCostUsd: 0,
});

// A best hypothesis is confirmed when it is strong, well ahead and backed by two kinds of source
// with nothing against it; likely when it is fair, ahead and seen in two kinds of source (logs and
// an event, say), since one kind alone can mislead in one consistent way; otherwise inconclusive.
const CONFIRMED = { score: 0.75, margin: 0.3, sources: 2 };
const LIKELY = { score: 0.5, margin: 0.15, sources: 2 };

/** The verdict ranked hypotheses earn from their scores and evidence; the same rule for every analyst. */
export function deriveVerdict(hypotheses: readonly Hypothesis[]): Verdict {
  const [best, second] = hypotheses;
  if (!best || best.supporting.length === 0) return 'inconclusive';
  const margin = best.score - (second?.score ?? 0);
  const sources = new Set(best.supporting.map((e) => e.source)).size;
  if (best.score >= CONFIRMED.score && margin >= CONFIRMED.margin && sources >= CONFIRMED.sources && best.against.length === 0)
    return 'confirmed';
  if (best.score >= LIKELY.score && margin >= LIKELY.margin && sources >= LIKELY.sources) return 'likely';
  return 'inconclusive';
}

/** A calibrated answer commits (likely) at this estimated probability of being right, and is confirmed at the second. */
export const COMMIT_AT = { likely: 0.9, confirmed: 0.97 };

/** The verdict of a calibrated confidence: it commits only where answers like it were right nine times in ten. */
export const verdictOfConfidence = (confidence: number): Verdict =>
  confidence >= COMMIT_AT.confirmed ? 'confirmed' : confidence >= COMMIT_AT.likely ? 'likely' : 'inconclusive';

/**
 * The report as stored and shown, for every analyst: the verdict code gives it (whatever an
 * analyst claimed), and an inconclusive one says so in its root cause and summary, naming the
 * category as only the best hypothesis's. A calibrated report (the investigating analyst's, whose
 * confidence is an estimated probability of being right) gets the verdict of its confidence; a
 * model's, whose confidence is its own, the verdict its hypotheses' scores and evidence earn. The
 * best hypothesis's statement stays in the root cause, which scoring searches for the culprit.
 */
export function finishReport(submitted: SubmittedReport, calibration?: RcaReport['calibration']): RcaReport {
  const verdict = calibration ? verdictOfConfidence(submitted.confidence) : deriveVerdict(submitted.hypotheses);
  const report = verdict === 'inconclusive' ? markInconclusive(submitted, !!calibration) : submitted;
  return { ...report, verdict, ...(calibration ? { calibration } : {}) };
}

const INCONCLUSIVE = 'Inconclusive';

/** Marks a report inconclusive; a calibrated one says its confidence, the one figure a reader should weigh. */
function markInconclusive(report: SubmittedReport, calibrated: boolean): SubmittedReport {
  const best = report.hypotheses[0];
  // Already said by the analyst, or a report stored again: one prefix.
  if (!best || report.root_cause.startsWith(INCONCLUSIVE)) return report;
  const culprit = best.statement.toLowerCase().includes(best.culprit.toLowerCase()) ? '' : `, ${best.culprit}`;
  return {
    ...report,
    category: best.category,
    root_cause: `${INCONCLUSIVE} — best hypothesis (${best.category}${culprit}): ${best.statement}`,
    summary: `${INCONCLUSIVE}${calibrated ? ` (confidence ${Math.round(report.confidence * 100)} %)` : ''}: the evidence does not settle the cause; the best hypothesis is ${best.category} (${best.culprit}). ${report.summary}`,
  };
}
