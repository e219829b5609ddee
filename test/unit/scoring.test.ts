import {
  evidenceRecalled,
  formatCompanyScores,
  formatScores,
  scoreReport,
  summarizeScores,
  type ScoreRow,
} from '../../src/analysis/scoring';

const row = (
  scenario: string,
  solved: boolean,
  categoryCorrect: boolean,
  evidenceTokens: number,
  extra: Partial<ScoreRow> = {},
): ScoreRow => ({
  scenario,
  expected: { category: 'deployment', culprit_terms: ['v1.2.3'] },
  category: categoryCorrect ? 'deployment' : 'network',
  score: { categoryCorrect, culpritFound: solved, solved, top3: solved },
  evidenceRecalled: true,
  evidenceChars: evidenceTokens * 4,
  evidenceTokens,
  ...extra,
});
const hypothesis = (category: 'deployment' | 'network', culprit: string) => ({
  category,
  culprit,
  statement: `${culprit} did it`,
  score: 0.5,
  supporting: [],
  against: [],
});

describe('scoreReport', () => {
  it('solves a report whose category matches and whose root cause names every culprit term, ignoring case', () => {
    const s = scoreReport(
      { category: 'deployment', root_cause: 'Pricing-Service V3.8.0 broke the BFF.' },
      { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] },
    );
    expect(s).toEqual({ categoryCorrect: true, culpritFound: true, solved: true, top3: true });
  });

  it('does not solve a report missing one culprit term or naming another category', () => {
    expect(
      scoreReport(
        { category: 'deployment', root_cause: 'pricing-service broke' },
        { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] },
      ),
    ).toEqual({ categoryCorrect: true, culpritFound: false, solved: false, top3: false });
    expect(
      scoreReport(
        { category: 'network', root_cause: 'pricing-service v3.8.0' },
        { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] },
      ),
    ).toEqual({ categoryCorrect: false, culpritFound: true, solved: false, top3: false });
  });

  it('counts top-3 when a later hypothesis names the category and every culprit term', () => {
    const expected = { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] };
    const report = {
      category: 'network' as const,
      root_cause: 'a switch dropped packets',
      hypotheses: [hypothesis('network', 'tor-1'), hypothesis('network', 'tor-2'), hypothesis('deployment', 'pricing-service v3.8.0')],
    };
    expect(scoreReport(report, expected)).toMatchObject({ solved: false, top3: true });
    expect(
      scoreReport(
        {
          ...report,
          hypotheses: [...report.hypotheses.slice(0, 2), hypothesis('network', 'x'), hypothesis('deployment', 'pricing-service v3.8.0')],
        },
        expected,
      ).top3,
    ).toBe(false);
  });
});

describe('evidenceRecalled', () => {
  it('asks that the evidence names every culprit term, ignoring case', () => {
    expect(
      evidenceRecalled(
        { events: [{ title: 'Deployed Pricing-Service v3.8.0' }] },
        { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] },
      ),
    ).toBe(true);
    expect(
      evidenceRecalled(
        { events: [{ title: 'Deployed pricing-service' }] },
        { category: 'deployment', culprit_terms: ['pricing-service', 'v3.8.0'] },
      ),
    ).toBe(false);
  });
});

describe('summarizeScores', () => {
  it('counts solved scenarios, category accuracy and the median evidence size', () => {
    const rows = [row('a', true, true, 100), row('b', false, true, 300), row('c', false, false, 200), row('d', true, true, 1000)];
    expect(summarizeScores(rows)).toMatchObject({
      solved: 2,
      top3: 2,
      recalled: 4,
      total: 4,
      categoryAccuracy: 0.75,
      medianEvidenceTokens: 250,
      medianEvidenceChars: 1000,
    });
  });

  it('measures accuracy by confidence bucket and by verdict, and of the answers it commits to', () => {
    const rows = [
      row('a', true, true, 1, { verdict: 'confirmed', confidence: 0.9 }),
      row('b', false, true, 1, { verdict: 'likely', confidence: 0.75 }),
      row('c', true, true, 1, { verdict: 'likely', confidence: 0.6 }),
      row('d', false, false, 1, { verdict: 'inconclusive', confidence: 0.1 }),
    ];
    const s = summarizeScores(rows);
    expect(s.committed).toEqual({ answers: 3, solved: 2 });
    expect(s.byVerdict).toEqual([
      { group: 'confirmed', answers: 1, solved: 1 },
      { group: 'likely', answers: 2, solved: 1 },
      { group: 'inconclusive', answers: 1, solved: 0 },
    ]);
    expect(s.byConfidence).toEqual([
      { group: '0.0-0.3', answers: 1, solved: 0 },
      { group: '0.5-0.7', answers: 1, solved: 1 },
      { group: '0.7-1.0', answers: 2, solved: 1 },
    ]);
  });

  it('reports zeros for no scenarios', () => {
    expect(summarizeScores([])).toMatchObject({
      solved: 0,
      top3: 0,
      recalled: 0,
      total: 0,
      categoryAccuracy: 0,
      medianEvidenceTokens: 0,
      medianEvidenceChars: 0,
      byVerdict: [],
      toolCalls: undefined,
    });
  });

  it('takes the median and maximum tool calls over the rows that recorded them', () => {
    const rows = [
      row('a', true, true, 1, { toolCalls: 4 }),
      row('b', true, true, 1, { toolCalls: 0 }),
      row('c', true, true, 1),
      row('d', true, true, 1, { toolCalls: 9 }),
      row('e', true, true, 1, { toolCalls: 1 }),
    ];
    expect(summarizeScores(rows).toolCalls).toEqual({ median: 2.5, max: 9 });
  });

  it('prints a table per scenario and ends with the line scripts read', () => {
    const text = formatScores([row('checkout', true, true, 1200), row('cart', false, false, 1401)]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^scenario\s+expected\s+got/);
    expect(text).toMatch(/checkout\s+deployment\s+deployment\s+-\s+-\s+yes\s+yes\s+yes\s+yes\s+yes\s+1200/);
    expect(lines).toContain('tool calls per investigation: not recorded');
    expect(lines.at(-1)).toBe(
      'solved=1/2 top3=1/2 evidence_recall=2/2 category_accuracy=0.50 committed_accuracy=- median_evidence_tokens=1301 median_tool_calls=- max_tool_calls=-',
    );
  });

  it('prints the tool calls per investigation and appends them to the last line', () => {
    const rows = [
      row('checkout', true, true, 10, { toolCalls: 2 }),
      row('cart', true, true, 10, { toolCalls: 5 }),
      row('search', true, true, 10, { toolCalls: 3 }),
    ];
    const lines = formatScores(rows).split('\n');
    expect(lines).toContain('tool calls per investigation: median 3, max 5');
    expect(lines.at(-1)).toMatch(/ median_evidence_tokens=10 median_tool_calls=3 max_tool_calls=5$/);
  });

  it('adds a line per company before the last line only when asked', () => {
    const rows = [row('a', true, true, 1, { company: 'Lumen Pay' }), row('b', false, true, 1, { company: 'Brightcart' })];
    const lines = formatScores(rows, { byCompany: true }).split('\n');
    expect(lines.slice(-4, -1)).toEqual(['per company:', ...formatCompanyScores(rows)]);
    expect(lines.at(-1)).toMatch(/^solved=1\/2 /);
    expect(formatScores(rows)).not.toContain('per company:');
  });
});

describe('formatCompanyScores', () => {
  it("counts each company's solved, top-3, recalled and committed answers, companies by name", () => {
    const rows = [
      row('a', true, true, 1, { company: 'Lumen Pay', verdict: 'confirmed' }),
      row('b', false, true, 1, { company: 'Lumen Pay', verdict: 'likely', evidenceRecalled: false }),
      row('c', false, false, 1, {
        company: 'Lumen Pay',
        verdict: 'inconclusive',
        score: { categoryCorrect: false, culpritFound: true, solved: false, top3: true },
      }),
      row('d', true, true, 1, { company: 'Brightcart' }),
      row('e', false, true, 1),
    ];
    expect(formatCompanyScores(rows)).toEqual([
      '  Brightcart: solved 1/1, top-3 1/1, recall 1/1, committed right 0/0',
      '  Lumen Pay: solved 1/3, top-3 2/3, recall 2/3, committed right 1/2',
      '  unknown: solved 0/1, top-3 0/1, recall 1/1, committed right 0/0',
    ]);
  });
});
