import type { GroupMember, GroupSettings } from '../../src/contracts/group';
import {
  addMember,
  belowThreshold,
  everyRecoveryPassedOn,
  initialGroupState,
  markRecovered,
  nextRcaAt,
  nextRcaId,
  passedOn,
  rcaStarted,
  recoveriesToPassOn,
} from '../../src/workflows/group-state';

const settings: GroupSettings = { waitS: 30, lifetimeS: 86_400, maxMembers: 500, reanalysisIntervalS: 300, maxRcas: 2 };
const member = (n: number, more: Partial<GroupMember> = {}): GroupMember => ({
  memberKey: `incident/a/${n}/*#1`,
  eventId: String(100 + n),
  account: 'a',
  monitorId: String(n),
  hostname: 'db-01',
  status: 'Alert',
  alertedAt: '2026-01-01T00:00:00Z',
  ...more,
});

describe('incident group rules', () => {
  it('starts the first RCA group_wait after the first member, even when every member recovered meanwhile', () => {
    let s = addMember(initialGroupState('g', 'a'), member(1), 1_000);
    s = addMember(s, member(2), 5_000);
    expect(nextRcaAt(s, settings)).toBe(31_000);
    expect(nextRcaAt(markRecovered(markRecovered(s, member(1).memberKey), member(2).memberKey), settings)).toBe(31_000);
    expect(nextRcaId(s)).toBe('rca/101');
  });

  it("waits for its rule's min_members before the first RCA, and counts from the first member once reached", () => {
    const threshold = { ...settings, minMembers: 3 };
    let s = addMember(addMember(initialGroupState('g', 'a'), member(1), 1_000), member(2), 2_000);
    expect(nextRcaAt(s, threshold)).toBeUndefined();
    expect(belowThreshold(s, threshold)).toBe(true);
    s = addMember(s, member(3), 90_000);
    expect(belowThreshold(s, threshold)).toBe(false);
    expect(nextRcaAt(s, threshold)).toBe(31_000);
  });

  it('ignores a member it has (a retried join or an escalation)', () => {
    const s = addMember(initialGroupState('g', 'a'), member(1), 1_000);
    expect(addMember(s, { ...member(1), status: 'Warn' }, 2_000)).toBe(s);
  });

  it('re-analyses only for a new service or host, once per interval, up to the cap', () => {
    let s = rcaStarted(addMember(initialGroupState('g', 'a'), member(1), 0), 'rca/101', 30_000);
    s = addMember(s, member(2), 40_000); // the same host: nothing new
    expect(nextRcaAt(s, settings)).toBeUndefined();
    s = addMember(s, member(3, { hostname: 'web-01', service: 'web' }), 50_000);
    expect(nextRcaAt(s, settings)).toBe(330_000);
    s = rcaStarted(s, nextRcaId(s), 330_000);
    expect(s.rcaIds).toEqual(['rca/101', 'rca/101/group-1']);
    s = addMember(s, member(4, { hostname: 'cache-01' }), 400_000);
    // The cap (2 RCAs) is reached: a further new host is added to the group but starts nothing.
    expect(nextRcaAt(s, settings)).toBeUndefined();
  });

  it('starts no re-analysis once every member recovered', () => {
    let s = rcaStarted(addMember(initialGroupState('g', 'a'), member(1), 0), 'rca/101', 30_000);
    s = addMember(s, member(2, { hostname: 'web-01' }), 40_000);
    s = markRecovered(markRecovered(s, member(1).memberKey), member(2).memberKey);
    expect(nextRcaAt(s, settings)).toBeUndefined();
  });

  it('a merged group ends only once each recovery was passed on, not one that arrived while others were being passed on', () => {
    let s = addMember(addMember(initialGroupState('g', 'a'), member(1), 0), member(2), 0);
    s = { ...s, mergedInto: { into: { groupId: 'h', workflowId: 'group/h' }, memberCount: 2 } };
    s = markRecovered(s, member(1).memberKey);
    const passing = recoveriesToPassOn(s);
    s = markRecovered(s, member(2).memberKey); // arrives while the first is signalled
    s = passedOn(s, passing);
    expect(everyRecoveryPassedOn(s)).toBe(false);
    expect(recoveriesToPassOn(s)).toEqual([member(2).memberKey]);
    expect(everyRecoveryPassedOn(passedOn(s, recoveriesToPassOn(s)))).toBe(true);
  });
});
