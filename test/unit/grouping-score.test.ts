import { addPairCounts, compression, pairCounts, pairwiseScores } from '../../src/groups/grouping-score';

describe('grouping scores', () => {
  // Causes: a a a b; groups: X X Y Y. Pairs (6): a-a in X (1, right), a-a across X/Y (2, split),
  // a-b in Y (1, wrong), a-b across (2).
  const alerts = [
    { truth: 'a', group: 'X' },
    { truth: 'a', group: 'X' },
    { truth: 'a', group: 'Y' },
    { truth: 'b', group: 'Y' },
  ];

  it('counts pairs grouped together, pairs sharing a cause, and both', () => {
    expect(pairCounts(alerts)).toEqual({ together: 2, trueTogether: 3, togetherAndTrue: 1 });
  });

  it('gives precision and recall from the counts: half the grouped pairs share a cause, a third of the true pairs were grouped', () => {
    expect(pairwiseScores(pairCounts(alerts))).toEqual({ precision: 0.5, recall: 1 / 3 });
  });

  it('scores a perfect grouping 1 and 1, and counts no pair as nothing wrong', () => {
    expect(pairwiseScores(pairCounts(alerts.map((a) => ({ ...a, group: a.truth }))))).toEqual({ precision: 1, recall: 1 });
    expect(pairwiseScores(pairCounts([{ truth: 'a', group: 'X' }]))).toEqual({ precision: 1, recall: 1 });
  });

  it('adds pair counts across storms before dividing', () => {
    const twice = addPairCounts(pairCounts(alerts), pairCounts(alerts));
    expect(twice).toEqual({ together: 4, trueTogether: 6, togetherAndTrue: 2 });
    expect(pairwiseScores(twice)).toEqual(pairwiseScores(pairCounts(alerts)));
  });

  it('compresses 20 alerts into 2 RCAs by 90 %', () => {
    expect(compression(20, 2)).toBeCloseTo(0.9);
    expect(compression(0, 0)).toBe(0);
  });
});
