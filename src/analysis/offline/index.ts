import type { EvidenceBundle } from '../../evidence/bundle';
import { noUsage, type AnalysisResult } from '../report';
import { collectFindings } from './findings';
import { rankHypotheses, type OfflineModel } from './ranking';
import { SHIPPED_MODEL } from './weights';
import { buildReport } from './report';

/**
 * The offline analyst: no model, only rules a senior SRE applies to the evidence bundle. Each rule
 * that fires adds weight to a category and, when it can name one, to a culprit; the best category
 * names its best culprit in the root cause; its share of all the evidence, calibrated, is the confidence.
 */
/** Runs the rules over a bundle and returns an RCA report with the rules that fired as reasoning. */
export function analyseOffline(bundle: EvidenceBundle, now: Date = new Date(), model: OfflineModel = SHIPPED_MODEL): AnalysisResult {
  // `now` stamps the run (tests pin it); the duration is measured on the clock.
  const clock = performance.now();
  const findings = collectFindings(bundle);
  const hypotheses = rankHypotheses(findings, bundle, model.weights);
  const report = buildReport(bundle, hypotheses, model.calibration);
  const ms = Math.round(performance.now() - clock);
  const started = now;
  const finished = new Date(now.getTime() + ms);
  const reasoning = [
    ...findings.map((f) => `${f.rule} → ${f.category}${f.culprit ? ` (${f.culprit})` : ''} +${f.weight.toFixed(2)}: ${f.detail}`),
    ...hypotheses
      .slice(0, 3)
      .map((h, i) => `${i === 0 ? 'chosen' : `runner-up ${i}`}: ${h.category} ${h.score.toFixed(2)} culprit ${h.culprit}`),
  ];
  return {
    report,
    analyst: 'offline',
    usage: noUsage(),
    timings: { startedAt: started.toISOString(), finishedAt: finished.toISOString(), ms },
    reasoning,
  };
}
