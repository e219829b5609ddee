import { GroupRules, labelsOf, matchRule, storedTags } from '../../src/groups/rules';

const rules = GroupRules.parse([
  { name: 'prod-db', group_by: ['cluster'], window_s: 600, when: { tags: ['env:prod', 'db'] }, min_members: 2 },
  { name: 'by-cluster', group_by: ['cluster', 'service'], window_s: 300 },
]);

describe('grouping rules', () => {
  it('reads tag keys (first value wins), and takes host and service from the alert itself', () => {
    const labels = labelsOf({ tags: ['team:a', 'team:b', 'canary', 'host:from-tag'], hostname: 'db-01', service: 'orders' });
    expect(Object.fromEntries(labels)).toEqual({ team: 'a', canary: '', host: 'db-01', service: 'orders' });
  });

  it('picks the first rule whose condition holds and whose keys the alert has, keyed by its name and values', () => {
    expect(matchRule(rules, { tags: ['env:prod', 'db:pg', 'cluster:east'] })?.groupKey).toBe('prod-db:cluster=east');
    // The condition fails (env:staging), so the next rule applies.
    expect(matchRule(rules, { tags: ['env:staging', 'db:pg', 'cluster:east'], service: 'orders' })?.groupKey).toBe(
      'by-cluster:cluster=east,service=orders',
    );
    // A key missing (no service): no rule applies, so topology groups it.
    expect(matchRule(rules, { tags: ['env:staging', 'cluster:east'] })).toBeUndefined();
  });

  it('lets an empty group_by put every alert it applies to under one key', () => {
    const everything = GroupRules.parse([{ name: 'all', group_by: [], window_s: 60 }]);
    expect(matchRule(everything, { tags: [] })?.groupKey).toBe('all:');
  });

  it('reads stored tags as an array or as a comma-separated string', () => {
    expect(storedTags(['a:1', 'b'])).toEqual(['a:1', 'b']);
    expect(storedTags('a:1, b ,')).toEqual(['a:1', 'b']);
    expect(storedTags(undefined)).toEqual([]);
  });
});
