import { activityInfo, Context, log } from '@temporalio/activity';
import type { AccountStore } from '../accounts/store';
import type { Db } from '../db/pool';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  type GroupJoin,
  type GroupMember,
  groupMergedSignal,
  type GroupSettings,
  type GroupWorkflowInput,
  memberJoinedSignal,
} from '../contracts/group';
import { RayneAccount, RayneGroupId } from '../contracts/search-attributes';
import { failureReason } from '../errors';
import { memberLinks } from '../groups/links';
import { labelsOf } from '../groups/rules';
import { ServiceMaps } from '../groups/service-maps';
import { type GroupMerge, GroupStore } from '../groups/store';

export interface GroupDeps {
  db: Db;
  accounts: Pick<AccountStore, 'credentials'>;
  /** How long an account's service map is reused by joins (RAYNE_GROUP_SERVICE_MAP_TTL_S); default 5 minutes. */
  serviceMapTtlS?: number;
}

export const createGroupActivities = ({ db, accounts, serviceMapTtlS = 300 }: GroupDeps) => {
  const groups = new GroupStore(db);
  const serviceMaps = new ServiceMaps({
    credentials: (account) => accounts.credentials(account),
    ttlMs: serviceMapTtlS * 1000,
    onError: (account, env, err) => {
      log.warn('service map not read; grouping goes on without it', { account, env, error: failureReason(err) });
    },
  });

  /** The member's links (links.ts), its service's neighbours read from its account's map for its env tag. */
  const linksOf = async (member: GroupMember) => {
    const alert = await groups.linkedAlert(member);
    const env = labelsOf(alert).get('env');
    const map = alert.service && env ? await serviceMaps.get(member.account, env) : undefined;
    return memberLinks(alert, map);
  };

  /**
   * Tells the group that took merged groups' members of each of them, then each merged group that
   * it was merged (it stops investigating and passes its members' recoveries on). A retried join
   * sends both again; the workflows ignore what they already know.
   */
  const signalMerges = async (into: GroupJoin, merged: GroupMerge[]) => {
    const { client } = Context.current();
    for (const group of merged) {
      for (const member of group.members) await client.workflow.getHandle(into.workflowId).signal(memberJoinedSignal, member);
      await client.workflow
        .getHandle(group.workflowId)
        .signal(groupMergedSignal, { into, memberCount: group.memberCount })
        .catch((err: unknown) => {
          // A group workflow that is gone (terminated by hand) has nothing to pass on.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
      log.info('incident groups merged', { groupId: into.groupId, merged: group.groupId, members: group.memberCount });
    }
  };

  return {
    /**
     * Puts the member in its group (Postgres decides which, under the account's lock, from its
     * links), then signals the group's workflow, starting it for a new group. A retry finds the same
     * group and signals again; the group workflow ignores a member it has.
     */
    async joinGroup(member: GroupMember, settings: GroupSettings): Promise<GroupJoin> {
      const { groupId, workflowId, created, capped, rule, merged } = await groups.join(member, settings, await linksOf(member));
      // A rule that matches everything meets this cap first: say so, or a storm splits silently.
      if (capped)
        log.warn('a matching group is full or past its lifetime or window; the alert starts a new group', {
          groupId,
          ...(rule ? { rule: rule.name } : {}),
          ...settings,
        });
      const input: GroupWorkflowInput = {
        groupId,
        account: member.account,
        settings: rule?.min_members ? { ...settings, minMembers: rule.min_members } : settings,
      };
      await Context.current().client.workflow.signalWithStart('groupWorkflow', {
        workflowId,
        taskQueue: activityInfo().taskQueue,
        args: [input],
        signal: memberJoinedSignal,
        signalArgs: [member],
        typedSearchAttributes: [
          { key: RayneGroupId, value: groupId },
          { key: RayneAccount, value: member.account },
        ],
      });
      if (created) log.info('incident group started', { groupId, account: member.account, ...(rule ? { rule: rule.name } : {}) });
      await signalMerges({ groupId, workflowId }, merged);
      return { groupId, workflowId };
    },

    /** Resolves the group when it has exactly the members its workflow saw (see GroupStore.resolve). */
    async resolveGroup(groupId: string, membersSeen: number): Promise<boolean> {
      return groups.resolve(groupId, membersSeen);
    },

    /** Records the group's RCA before it starts; false when the group was merged, so none starts. */
    async recordGroupRca(groupId: string, rcaId: string): Promise<boolean> {
      return groups.recordRca(groupId, rcaId);
    },
  };
};
