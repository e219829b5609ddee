/** One alert as grouping is scored: the cause it truly belongs to and the group it joined. */
export interface GroupedAlert {
  truth: string;
  group: string;
}

/** Pair counts, so several storms' scores add up before they are divided. */
export interface PairCounts {
  /** Pairs that share a group. */
  together: number;
  /** Pairs that share a cause. */
  trueTogether: number;
  /** Pairs that share both. */
  togetherAndTrue: number;
}

/** Counts every pair of alerts: sharing a group, sharing a cause, sharing both. */
export function pairCounts(alerts: readonly GroupedAlert[]): PairCounts {
  const counts = { together: 0, trueTogether: 0, togetherAndTrue: 0 };
  for (let i = 0; i < alerts.length; i++)
    for (let j = i + 1; j < alerts.length; j++) {
      const sameGroup = alerts[i]!.group === alerts[j]!.group;
      const sameCause = alerts[i]!.truth === alerts[j]!.truth;
      if (sameGroup) counts.together++;
      if (sameCause) counts.trueTogether++;
      if (sameGroup && sameCause) counts.togetherAndTrue++;
    }
  return counts;
}

export const addPairCounts = (a: PairCounts, b: PairCounts): PairCounts => ({
  together: a.together + b.together,
  trueTogether: a.trueTogether + b.trueTogether,
  togetherAndTrue: a.togetherAndTrue + b.togetherAndTrue,
});

/**
 * Pairwise precision (of the pairs grouped together, the share with one cause) and recall (of the
 * pairs with one cause, the share grouped together). With no pair on a side it is 1: nothing to get wrong.
 */
export function pairwiseScores(counts: PairCounts): { precision: number; recall: number } {
  return {
    precision: counts.together ? counts.togetherAndTrue / counts.together : 1,
    recall: counts.trueTogether ? counts.togetherAndTrue / counts.trueTogether : 1,
  };
}

/** The share of alerts that did not need an RCA of their own: 1 - RCAs / alerts. */
export const compression = (alerts: number, rcas: number): number => (alerts ? 1 - rcas / alerts : 0);
