import * as options from '../../src/workflows/activity-options';
import { FATAL_CODES } from '../../src/errors';

describe('activity groups', () => {
  const groups = Object.entries(options).filter(([name]) => name.endsWith('_OPTIONS')) as Array<
    [string, { retry?: { maximumAttempts?: number; nonRetryableErrorTypes?: string[] } }]
  >;

  it('caps the attempts of every group but Postgres bookkeeping, which must outlive a database outage', () => {
    const uncapped = groups.filter(([, o]) => !o.retry?.maximumAttempts).map(([name]) => name);
    expect(uncapped).toEqual(['STORE_OPTIONS']);
  });

  it('keeps the fatal codes fatal in every group', () => {
    for (const [, o] of groups) expect(o.retry?.nonRetryableErrorTypes).toEqual(FATAL_CODES);
  });

  it('runs analysis and indexing apart from bookkeeping', () => {
    expect(options.ANALYSIS_OPTIONS).not.toBe(options.STORE_OPTIONS);
    expect(options.INDEXING_OPTIONS.retry?.maximumAttempts).toBeGreaterThan(options.ANALYSIS_OPTIONS.retry!.maximumAttempts!);
  });
});
