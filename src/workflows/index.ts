export { incidentWorkflow } from './incident-workflow';
export { rcaWorkflow, reindexRcaWorkflow } from './rca-workflow';
export { githubIssueWorkflow } from './github-issue-workflow';
export { groupWorkflow } from './group-workflow';
