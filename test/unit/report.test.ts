import fs from 'node:fs';
import path from 'node:path';
import { analyseOffline } from '../../src/analysis/offline';
import { scoreReport, type ExpectedRca } from '../../src/analysis/scoring';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import { finishReport, type Hypothesis, RcaReportSchema, type SubmittedReport } from '../../src/analysis/report';

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
      /^Inconclusive: .*best hypothesis is deployment \(checkout-service v4\.12\.0, score 0\.30\)\. Checkout errors rose\.$/,
    );
    // Stored again, it is marked once.
    expect(finishReport(report).root_cause).toBe(report.root_cause);
  });

  it('names the culprit when the statement does not', () => {
    const report = finishReport(submitted([{ ...weak, statement: 'A bad release broke payments.' }]));
    expect(report.root_cause).toBe('Inconclusive — best hypothesis (deployment, checkout-service v4.12.0): A bad release broke payments.');
  });
});

describe("finishReport on the offline analyst's scenario reports", () => {
  const dir = path.join(__dirname, '../fixtures/evidence');
  const fixtures = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map(
      (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { scenario: string; expected: ExpectedRca; bundle: EvidenceBundle },
    );

  it.each(fixtures.map((f) => [f.scenario, f] as const))(
    "%s: the stored report scores as the analyst's did",
    (_name, { bundle, expected }) => {
      const { report } = analyseOffline(bundle, new Date('2026-11-24T03:00:00Z'));
      const stored = finishReport(report);
      expect(stored.verdict).toBe(report.verdict);
      expect(scoreReport(stored, expected)).toEqual(scoreReport(report, expected));
    },
  );
});
