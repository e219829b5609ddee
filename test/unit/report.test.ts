import { COMMIT_AT, finishReport, type Hypothesis, RcaReportSchema, type SubmittedReport } from '../../src/analysis/report';

const strong: Hypothesis = {
  category: 'deployment',
  culprit: 'checkout-service v4.12.0',
  statement: 'The checkout-service v4.12.0 deployment broke payment calls.',
  score: 0.85,
  supporting: [
    { claim: 'deployed 7 min before the alert', source: 'events', link: 'https://app.datadoghq.com/event/1' },
    { claim: 'new payment errors', source: 'logs' },
  ],
  against: [],
};
const weak: Hypothesis = { ...strong, score: 0.3, supporting: [{ claim: 'deployed the day before', source: 'events' }] };

const submitted = (hypotheses: Hypothesis[]): SubmittedReport => ({
  summary: 'Checkout errors rose.',
  root_cause: 'The checkout-service v4.12.0 deployment broke payment calls.',
  category: 'deployment',
  confidence: 0.8,
  hypotheses,
  evidence: [],
  remediation: ['roll back'],
  missing_data: [],
});

describe('finishReport', () => {
  it('adds the verdict the hypotheses earn, whatever the analyst claimed, and keeps a settled report as written', () => {
    const claimed = { ...submitted([strong]), verdict: 'inconclusive' } as SubmittedReport;
    const report = finishReport(claimed);
    expect(report.verdict).toBe('confirmed');
    expect(report.root_cause).toBe(claimed.root_cause);
    expect(RcaReportSchema.safeParse(report).success).toBe(true);
  });

  it("says an inconclusive report is inconclusive, names the category as the best hypothesis's and keeps its statement in the root cause", () => {
    const report = finishReport({ ...submitted([weak]), category: 'database', root_cause: 'Undetermined: nothing explains it.' });
    expect(report.verdict).toBe('inconclusive');
    expect(report.category).toBe('deployment');
    expect(report.root_cause).toBe(`Inconclusive — best hypothesis (deployment): ${weak.statement}`);
    expect(report.summary).toMatch(
      /^Inconclusive: .*best hypothesis is deployment \(checkout-service v4\.12\.0\)\. Checkout errors rose\.$/,
    );
    // Stored again, it is marked once.
    expect(finishReport(report).root_cause).toBe(report.root_cause);
  });

  it('names the culprit when the statement does not', () => {
    const report = finishReport(submitted([{ ...weak, statement: 'A bad release broke payments.' }]));
    expect(report.root_cause).toBe('Inconclusive — best hypothesis (deployment, checkout-service v4.12.0): A bad release broke payments.');
  });
});

describe('finishReport on a calibrated report', () => {
  const features = { depth: 2, own: true, sourceKinds: 2, margin: 1, change: false, candidates: 3 };
  const calibrated = (confidence: number) => finishReport({ ...submitted([strong]), confidence }, { features });

  it('commits only where the calibrated confidence reaches nine in ten, whatever the hypotheses score', () => {
    expect(calibrated(COMMIT_AT.likely - 0.01).verdict).toBe('inconclusive');
    expect(calibrated(COMMIT_AT.likely).verdict).toBe('likely');
    expect(calibrated(COMMIT_AT.confirmed).verdict).toBe('confirmed');
  });

  it('says an uncommitted answer is inconclusive with the one confidence figure, and keeps the features it was estimated from', () => {
    const report = calibrated(0.42);
    expect(report.summary).toContain('Inconclusive (confidence 42 %)');
    expect(report.summary).not.toMatch(/score \d/);
    expect(report.calibration).toEqual({ features });
    expect(RcaReportSchema.parse(report).calibration).toEqual({ features });
  });
});
