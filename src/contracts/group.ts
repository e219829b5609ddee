import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertStatus } from './alert';

/**
 * How alerts are grouped and how far a group's RCAs go (RAYNE_GROUP_*): fixed per incident workflow
 * when it starts, and handed to each group it joins.
 */
export interface GroupSettings {
  /** Settling time from a group's first member to its first RCA; 0 turns grouping off (one RCA per alert). */
  waitS: number;
  /** Past this age a group takes no new member: the next alert starts a new group. */
  lifetimeS: number;
  /** Past this size a group takes no new member: the next alert starts a new group. */
  maxMembers: number;
  /** A member with a new service or host re-analyses the group at most once per this interval. */
  reanalysisIntervalS: number;
  /** RCAs one group may run, the first included. */
  maxRcas: number;
  /** Members a group needs before its first RCA (its rule's min_members); absent: one. */
  minMembers?: number;
}

/** One alert in a group: an incident episode's first Alert/Warn (an escalation joins again, as the same member). */
export interface GroupMember {
  /** {incident workflow id}#{episode}: one per episode, whatever its transitions. */
  memberKey: string;
  eventId: string;
  account: string;
  monitorId: string;
  monitorName?: string;
  service?: string;
  hostname?: string;
  status: AlertStatus;
  /** When Rayne received the alert (ISO). */
  alertedAt: string;
}

/** The group an alert joined: its id and its workflow (group/{groupId}). */
export interface GroupJoin {
  groupId: string;
  workflowId: string;
}

/** The group an incident's open episode joined, and the member key it joined as (absent: joined before keys named the run). */
export interface JoinedGroup extends GroupJoin {
  memberKey?: string;
}

export interface GroupState {
  groupId: string;
  account: string;
  /** Workflow time the group's first member arrived, in ms; set with it. */
  firstJoinedAt?: number;
  members: GroupMember[];
  /** Member keys whose incident recovered. */
  recovered: string[];
  /** The group's RCAs in start order: rca/{firstEventId}, then rca/{firstEventId}/group-{n}. */
  rcaIds: string[];
  /** Workflow time of the last RCA start, in ms. */
  lastRcaAt?: number;
  /** Services and hosts the last RCA saw: a member outside them asks for a re-analysis. */
  analysedScopes: string[];
  resolved: boolean;
  /** Set once merged into an older group: the group then only passes its members' recoveries on. */
  mergedInto?: GroupMerged;
  /** Member keys whose recovery was passed on to the group merged into. */
  forwarded?: string[];
}

/** What a merged group is told: the group that took its members, and how many it had then. */
export interface GroupMerged {
  into: GroupJoin;
  memberCount: number;
}

export interface GroupWorkflowInput {
  groupId: string;
  account: string;
  settings: GroupSettings;
  /** Carried over continue-as-new. */
  state?: GroupState;
  /** Members handled per run before it continues as new (tests lower it). */
  continueAsNewAfter?: number;
}

export const memberJoinedSignal = defineSignal<[GroupMember]>('memberJoined');
/** A member's incident recovered (its member key). */
export const memberRecoveredSignal = defineSignal<[string]>('memberRecovered');
/** The group was merged into an older one (GroupStore.join); sent by the join that merged it. */
export const groupMergedSignal = defineSignal<[GroupMerged]>('groupMerged');
export const groupStateQuery = defineQuery<GroupState>('groupState');
