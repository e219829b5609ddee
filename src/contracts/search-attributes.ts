import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make Rayne runs filterable in the Temporal Web UI and CLI. */
export const RayneMonitorId = defineSearchAttributeKey('RayneMonitorId', SearchAttributeType.KEYWORD);
export const RayneAlertStatus = defineSearchAttributeKey('RayneAlertStatus', SearchAttributeType.KEYWORD);
export const RayneService = defineSearchAttributeKey('RayneService', SearchAttributeType.KEYWORD);
export const RayneHost = defineSearchAttributeKey('RayneHost', SearchAttributeType.KEYWORD);
export const RayneAccount = defineSearchAttributeKey('RayneAccount', SearchAttributeType.KEYWORD);
export const RayneRole = defineSearchAttributeKey('RayneRole', SearchAttributeType.KEYWORD);
/** owner/name of the issue a githubIssueWorkflow triages. */
export const RayneRepository = defineSearchAttributeKey('RayneRepository', SearchAttributeType.KEYWORD);

/** The incident group a group workflow runs, and its RCAs belong to. */
export const RayneGroupId = defineSearchAttributeKey('RayneGroupId', SearchAttributeType.KEYWORD);

export const RAYNE_SEARCH_ATTRIBUTES = [
  RayneMonitorId,
  RayneAlertStatus,
  RayneService,
  RayneHost,
  RayneAccount,
  RayneRole,
  RayneRepository,
  RayneGroupId,
];
