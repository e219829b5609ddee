import { formatScores, scoreReport, summarizeScores, type ScoreRow } from '../../src/analysis/scoring';

const row = (scenario: string, solved: boolean, categoryCorrect: boolean, evidenceTokens: number): ScoreRow => ({
  scenario, expected: { category: 'deployment', culprit_terms: ['v1.2.3'] }, category: categoryCorrect ? 'deployment' : 'network',
  score: { categoryCorrect, culpritFound: solved, solved }, evidenceChars: evidenceTokens * 4, evidenceTokens,
});

describe('scoreReport', () => {
  it('solves a report whose category matches and whose root cause names every culprit term, ignoring case', () => {
    const s = scoreReport({ category: 'deployment', root_cause: 'Pricing-Service V3.8.0 broke the BFF.' }, { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] });
    expect(s).toEqual({ categoryCorrect: true, culpritFound: true, solved: true });
  });

  it('does not solve a report missing one culprit term or naming another category', () => {
    expect(scoreReport({ category: 'deployment', root_cause: 'pricing-service broke' }, { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] }))
      .toEqual({ categoryCorrect: true, culpritFound: false, solved: false });
    expect(scoreReport({ category: 'network', root_cause: 'pricing-service v3.8.0' }, { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] }))
      .toEqual({ categoryCorrect: false, culpritFound: true, solved: false });
  });
});

describe('summarizeScores', () => {
  it('counts solved scenarios, category accuracy and the median evidence size', () => {
    const rows = [row('a', true, true, 100), row('b', false, true, 300), row('c', false, false, 200), row('d', true, true, 1000)];
    expect(summarizeScores(rows)).toEqual({ solved: 2, total: 4, categoryAccuracy: 0.75, medianEvidenceTokens: 250, medianEvidenceChars: 1000 });
  });

  it('reports zeros for no scenarios', () => {
    expect(summarizeScores([])).toEqual({ solved: 0, total: 0, categoryAccuracy: 0, medianEvidenceTokens: 0, medianEvidenceChars: 0 });
  });

  it('prints a table per scenario and ends with the line scripts read', () => {
    const text = formatScores([row('checkout', true, true, 1200), row('cart', false, false, 1401)]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^scenario\s+expected\s+got/);
    expect(text).toMatch(/checkout\s+deployment\s+deployment\s+yes\s+yes\s+yes\s+1200/);
    expect(lines.at(-1)).toBe('solved=1/2 category_accuracy=0.50 median_evidence_tokens=1301');
  });
});
