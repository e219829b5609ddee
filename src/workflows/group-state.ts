import type { GroupMember, GroupSettings, GroupState } from '../contracts/group';

/** Pure rules of an incident group: no I/O, no clock (times are passed in). */

export function initialGroupState(groupId: string, account: string): GroupState {
  return { groupId, account, members: [], recovered: [], rcaIds: [], analysedScopes: [], resolved: false };
}

/** The services and hosts a member brings, each named by kind so a host and a service of one name differ. */
export function scopesOf(member: Pick<GroupMember, 'service' | 'hostname'>): string[] {
  return [member.service && `service:${member.service}`, member.hostname && `host:${member.hostname}`].filter((s): s is string => !!s);
}

/** Adds a member not seen yet (a retried join or an escalation of the same episode is not new). */
export function addMember(state: GroupState, member: GroupMember, now: number): GroupState {
  if (state.members.some((m) => m.memberKey === member.memberKey)) return state;
  return { ...state, members: [...state.members, member], firstJoinedAt: state.firstJoinedAt ?? now };
}

export function markRecovered(state: GroupState, memberKey: string): GroupState {
  return state.recovered.includes(memberKey) ? state : { ...state, recovered: [...state.recovered, memberKey] };
}

/** Every member known has recovered (a member that recovered before its join arrived counts once it joins). */
export function allRecovered(state: GroupState): boolean {
  return state.members.length > 0 && state.members.every((m) => state.recovered.includes(m.memberKey));
}

/** A member brought a service or host the last RCA did not see. */
export function hasNewScope(state: GroupState): boolean {
  return state.members.some((m) => scopesOf(m).some((s) => !state.analysedScopes.includes(s)));
}

/** The group has fewer members than its rule asks for before an RCA. */
export function belowThreshold(state: GroupState, settings: GroupSettings): boolean {
  return state.members.length < (settings.minMembers ?? 1);
}

/**
 * When the group's next RCA may start, in workflow ms; undefined when none is due: the first after
 * group_wait from the first member (even if all recovered meanwhile: the outage happened), once the
 * group reached its rule's threshold; a re-analysis only for a new service or host, at most once
 * per interval, and never past the cap or once every member recovered. A merged group starts none:
 * the group it was merged into investigates its members.
 */
export function nextRcaAt(state: GroupState, settings: GroupSettings): number | undefined {
  if (state.firstJoinedAt === undefined || state.resolved || state.mergedInto) return undefined;
  if (state.rcaIds.length === 0) return belowThreshold(state, settings) ? undefined : state.firstJoinedAt + settings.waitS * 1000;
  if (allRecovered(state) || state.rcaIds.length >= settings.maxRcas || !hasNewScope(state)) return undefined;
  return (state.lastRcaAt ?? 0) + settings.reanalysisIntervalS * 1000;
}

/** The id of the group's next RCA: rca/{first member's event} first, then rca/{that event}/group-{n}. */
export function nextRcaId(state: GroupState): string {
  const base = `rca/${state.members[0]!.eventId}`;
  return state.rcaIds.length === 0 ? base : `${base}/group-${state.rcaIds.length}`;
}

/** Records an RCA started now over every member known. */
export function rcaStarted(state: GroupState, rcaId: string, now: number): GroupState {
  return { ...state, rcaIds: [...state.rcaIds, rcaId], lastRcaAt: now, analysedScopes: [...new Set(state.members.flatMap(scopesOf))] };
}

/** Recoveries a merged group has not passed on yet to the group it was merged into. */
export function recoveriesToPassOn(state: GroupState): string[] {
  return state.recovered.filter((key) => !(state.forwarded ?? []).includes(key));
}

/** Records recoveries passed on: only those, since more may have arrived while they were signalled. */
export function passedOn(state: GroupState, memberKeys: string[]): GroupState {
  return { ...state, forwarded: [...new Set([...(state.forwarded ?? []), ...memberKeys])] };
}

/** A merged group is done once it knows every member it had and has passed on each one's recovery. */
export function everyRecoveryPassedOn(state: GroupState): boolean {
  const merged = state.mergedInto;
  return (
    !!merged &&
    state.members.length >= merged.memberCount &&
    allRecovered(state) &&
    state.members.every((m) => state.forwarded?.includes(m.memberKey))
  );
}
